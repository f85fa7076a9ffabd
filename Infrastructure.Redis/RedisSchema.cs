using System.Text;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// OSProfiler's Redis key schema (docs/osprofiler-formats.md §2) and the keyspace scan the reader, the lister and the cleanup share.
/// </summary>
/// <remarks>
/// A trace is the list <c>osprofiler_opt:&lt;base_id&gt;</c>, newest point first (<c>LPUSH</c>); with
/// <c>filter_error_trace</c> a trace holding a failed operation also gets <c>osprofiler_error:&lt;base_id&gt;</c> =
/// <c>{"base_id": …, "timestamp": …}</c>. The legacy schema, one key <c>osprofiler:&lt;base_id&gt;…</c> per point, is
/// read too, never written. Profiler's own keys beside them (pinned traces, search indexes) are named by <see cref="RedisKeyspace"/>.
/// </remarks>
internal static class RedisSchema
{
    public const string ListPrefix = "osprofiler_opt:";
    public const string LegacyPrefix = "osprofiler:";
    public const string ErrorPrefix = "osprofiler_error:";

    /// <summary>
    /// The key that records that batch <paramref name="batchId"/> stored its points (exactly-once writes,
    /// <c>Scripts/WriteTrace.lua</c>), named after the first trace <paramref name="baseId"/> of a write script's call (one
    /// per write on a single server, one per hash slot on a cluster): <c>{osprofiler_opt:&lt;base_id&gt;}:batch:&lt;batch id&gt;</c>.
    /// Its hash tag is the trace list's name, so it shares the slot of the lists it covers; it starts with <c>{</c>,
    /// so no scan of <c>osprofiler*</c> (OSProfiler's or ours) sees it. Kept <see cref="BatchKeySeconds"/>.
    /// </summary>
    public static string BatchKey(string baseId, Guid batchId) => "{" + ListPrefix + baseId + "}:batch:" + batchId.ToString("N");

    /// <summary>
    /// How long a batch key is kept: 24 hours (about 100 bytes per write; on a cluster per slot a write touched). A
    /// writer retries a batch for far less; a copy of a batch retried after that would be stored again.
    /// </summary>
    public const long BatchKeySeconds = 24 * 60 * 60;

    /// <summary>
    /// A trace's summary hash (docs/search.md): <c>{osprofiler_opt:&lt;base_id&gt;}:summary</c>, hash-tagged to the trace
    /// list's own slot; its name starts with <c>{</c>, so OSProfiler's and the lister's <c>osprofiler*</c> scans never see it.
    /// </summary>
    public static string SummaryKey(string baseId) => "{" + ListPrefix + baseId + "}:summary";

    /// <summary>One SCAN pattern for all three key families: <c>osprofiler:</c>, <c>osprofiler_opt:</c>, <c>osprofiler_error:</c>.</summary>
    public const string AllKeysPattern = "osprofiler[:_]*";

    /// <summary><c>COUNT</c> of each <c>SCAN</c>: few round trips over a large keyspace.</summary>
    public const int ScanCount = 10_000;

    /// <summary>Escapes Redis glob characters (<c>* ? [ ] \ ^</c>) so the text matches only itself in a pattern.</summary>
    public static string GlobEscape(string text)
    {
        var sb = new StringBuilder(text.Length + 4);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\' or '^') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Every key matching <paramref name="pattern"/>; see <see cref="ScanAsync(IDatabase, string, Action{RedisKey[]})"/>.</summary>
    public static async Task<List<RedisKey>> ScanAsync(IDatabase db, string pattern)
    {
        var keys = new List<RedisKey>();
        await ScanAsync(db, pattern, keys.AddRange).ConfigureAwait(false);
        return keys;
    }

    /// <summary>
    /// SCAN the whole keyspace for <paramref name="pattern"/>, handing each page to <paramref name="page"/>. The next
    /// SCAN is sent before a page is handed over, so that the server scans while the client works on the page (and
    /// whatever the page's handler sends goes after it). On a Redis Cluster every primary is scanned, all at once, and
    /// their pages are handed over one at a time (never concurrently): each key is seen on the one primary that holds
    /// it. A key may be handed over twice (a SCAN may return a key again, and a slot migrating between primaries
    /// meanwhile may show it on both), so callers that must not count a key twice de-duplicate.
    /// </summary>
    public static Task ScanAsync(IDatabase db, string pattern, Action<RedisKey[]> page) =>
        ScanAsync(db, pattern, (_, keys) => page(keys));

    /// <summary>
    /// As <see cref="ScanAsync(IDatabase, string, Action{RedisKey[]})"/>, telling the page's handler which primary of a
    /// Redis Cluster the page came from (null: not a cluster).
    /// </summary>
    public static async Task ScanAsync(IDatabase db, string pattern, Action<IServer?, RedisKey[]> page)
    {
        if (!RedisTopology.IsCluster(db.Multiplexer))
        {
            await ScanAsync(cursor => db.ExecuteAsync("SCAN", [cursor, "MATCH", pattern, "COUNT", ScanCount], CommandFlags.DemandMaster),
                keys => page(null, keys)).ConfigureAwait(false);
            return;
        }
        var primaries = await RedisTopology.PrimariesAsync(db.Multiplexer).ConfigureAwait(false);
        // Every primary's scan runs at once; pages are handed over in turn, the next SCAN of a primary sent first.
        var pending = new Task<RedisResult>?[primaries.Length];
        for (var i = 0; i < primaries.Length; i++) pending[i] = ScanServer(primaries[i], "0", pattern, ScanCount);
        for (var active = primaries.Length; active > 0;)
        {
            for (var i = 0; i < primaries.Length; i++)
            {
                if (pending[i] is not { } scan) continue;
                var (cursor, keys) = Page(await scan.ConfigureAwait(false));
                if (cursor != "0") pending[i] = ScanServer(primaries[i], cursor, pattern, ScanCount);
                else
                {
                    pending[i] = null;
                    active--;
                }
                if (keys.Length > 0) page(primaries[i], keys);
            }
        }
    }

    /// <summary>A SCAN loop over one server (or the database's server): the next SCAN is sent before a page is handed over.</summary>
    private static async Task ScanAsync(Func<string, Task<RedisResult>> scan, Action<RedisKey[]> page)
    {
        var pending = scan("0");
        while (true)
        {
            var (cursor, keys) = Page(await pending.ConfigureAwait(false));
            var more = cursor != "0";
            if (more) pending = scan(cursor);
            if (keys.Length > 0) page(keys);
            if (!more) return;
        }
    }

    /// <summary>
    /// Where a keyspace scan runs, for callers that SCAN page by page (each page its own operation): null for the
    /// database itself (one server, or Sentinel's master), else each primary of a Redis Cluster by its endpoint.
    /// </summary>
    public static async Task<System.Net.EndPoint?[]> ScanTargetsAsync(IDatabase db) =>
        RedisTopology.IsCluster(db.Multiplexer)
            ? [.. (await RedisTopology.PrimariesAsync(db.Multiplexer).ConfigureAwait(false)).Select(s => s.EndPoint)]
            : [null];

    /// <summary>
    /// One <c>SCAN</c> step of <paramref name="count"/> keys from <paramref name="cursor"/> on <paramref name="target"/>
    /// (one of <see cref="ScanTargetsAsync"/>).
    /// </summary>
    public static async Task<(string Next, RedisKey[] Keys)> ScanPageAsync(IDatabase db, System.Net.EndPoint? target, string cursor,
        string pattern, int count) =>
        Page(await (target is null
            ? db.ExecuteAsync("SCAN", [cursor, "MATCH", pattern, "COUNT", count], CommandFlags.DemandMaster)
            : ScanServer(db.Multiplexer.GetServer(target), cursor, pattern, count)).ConfigureAwait(false));

    private static Task<RedisResult> ScanServer(IServer server, string cursor, string pattern, int count) =>
        server.ExecuteAsync("SCAN", [cursor, "MATCH", pattern, "COUNT", count], CommandFlags.DemandMaster);

    private static (string Cursor, RedisKey[] Keys) Page(RedisResult result)
    {
        var parts = (RedisResult[])result!;
        // A plain loop: StackExchange.Redis's own conversion to RedisKey[] (Array.ConvertAll over a struct) is not
        // precompiled, and ran its first pages of a 20,000-key scan in the runtime's unoptimised tier.
        var items = (RedisResult[])parts[1]!;
        var keys = new RedisKey[items.Length];
        for (var i = 0; i < keys.Length; i++) keys[i] = (RedisKey)items[i];
        return (parts[0].ToString(), keys);
    }

    /// <summary>
    /// The string values of <paramref name="keys"/>, each beside its key (null for a key gone since): one <c>MGET</c> on a
    /// single server, one per hash slot on a Redis Cluster (an <c>MGET</c> may not span slots).
    /// </summary>
    public static async Task<List<(RedisKey Key, RedisValue Value)>> GetStringsAsync(IDatabase db, IReadOnlyList<RedisKey> keys)
    {
        var groups = RedisTopology.BySlot(db.Multiplexer, RedisTopology.IsCluster(db.Multiplexer), keys, k => k).ToList();
        var values = await Task.WhenAll(groups.Select(group => db.StringGetAsync([.. group]))).ConfigureAwait(false);
        var read = new List<(RedisKey, RedisValue)>(keys.Count);
        for (var g = 0; g < groups.Count; g++)
            for (var i = 0; i < groups[g].Count; i++)
                read.Add((groups[g][i], values[g][i]));
        return read;
    }
}
