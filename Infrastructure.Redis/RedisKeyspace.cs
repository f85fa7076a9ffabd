using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// The names of the keys Profiler adds beside OSProfiler's (search indexes, pinned traces), which differ between a single
/// server and a Redis Cluster. OSProfiler's own keys (<c>osprofiler_opt:</c>, <c>osprofiler_error:</c>) and the per-trace
/// keys hash-tagged with the trace list's name (summary, batch ids) are the same in both.
/// </summary>
/// <remarks>
/// <para>Single server: <c>profiler_idx:start|duration|error|checked</c>, term sets <c>profiler_idx:&lt;s|p|h|n&gt;:&lt;value&gt;</c>
/// and the pinned set <c>profiler_pinned</c>, as before clusters were supported (existing stores keep working).</para>
/// <para>Cluster: the same sets with the hash tag <c>{profiler}</c> (<c>{profiler}:idx:start</c>, <c>{profiler}:idx:s:&lt;value&gt;</c>,
/// <c>{profiler}:pinned</c>), so that a search's script names keys of one slot. A pin is also marked in each of the trace's
/// own slots (<see cref="PinMarker"/>), so that the scripts deciding a key's expiry or deletion never read across slots.</para>
/// </remarks>
internal sealed class RedisKeyspace
{
    private RedisKeyspace(bool cluster, string indexPrefix, string pinned)
    {
        Cluster = cluster;
        IndexPrefix = indexPrefix;
        Pinned = pinned;
        StartIndex = indexPrefix + "start";
        DurationIndex = indexPrefix + "duration";
        ErrorIndex = indexPrefix + "error";
        Checked = indexPrefix + "checked";
    }

    /// <summary>A single server or a Sentinel-chosen master.</summary>
    public static readonly RedisKeyspace Single = new(false, "profiler_idx:", "profiler_pinned");

    /// <summary>A Redis Cluster: Profiler's shared keys in the slot of the hash tag <c>{profiler}</c>.</summary>
    public static readonly RedisKeyspace OnCluster = new(true, "{profiler}:idx:", "{profiler}:pinned");

    /// <summary>The keyspace of what <paramref name="multiplexer"/> is connected to.</summary>
    public static RedisKeyspace For(IConnectionMultiplexer multiplexer) => RedisTopology.IsCluster(multiplexer) ? OnCluster : Single;

    /// <summary>Whether this is a cluster's keyspace.</summary>
    public bool Cluster { get; }

    /// <summary>Prefix of the search index keys.</summary>
    public string IndexPrefix { get; }

    /// <summary>The set of pinned base ids (OSProfiler's scans of <c>osprofiler*</c> never see it).</summary>
    public string Pinned { get; }

    /// <summary>Base id → trace start (µs since the epoch).</summary>
    public string StartIndex { get; }

    /// <summary>Base id → trace duration (µs).</summary>
    public string DurationIndex { get; }

    /// <summary>Base id → start, for traces with a failed operation.</summary>
    public string ErrorIndex { get; }

    /// <summary>The keyspace size when the search last looked for traces without a summary.</summary>
    public string Checked { get; }

    /// <summary>A term set: base id → start, for traces with a point of that service (<c>s</c>), project (<c>p</c>), host (<c>h</c>) or operation name (<c>n</c>).</summary>
    public string TermKey(char kind, string value) => IndexPrefix + kind + ":" + value;

    /// <summary>
    /// On a cluster, the mark that the trace owning <paramref name="key"/> (its list or its error record) is pinned, in that
    /// key's slot: <c>{osprofiler_opt:&lt;id&gt;}:pinned</c>, <c>{osprofiler_error:&lt;id&gt;}:pinned</c>.
    /// </summary>
    public static string PinMarker(string key) => "{" + key + "}:pinned";

    /// <summary>The pin marks of a trace on a cluster: its list's and its error record's.</summary>
    public static (string List, string Error) PinMarkers(string baseId) => (PinMarker(ListPrefix + baseId), PinMarker(ErrorPrefix + baseId));
}
