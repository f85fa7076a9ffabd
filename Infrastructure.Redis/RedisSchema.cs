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
    /// whatever the page's handler sends goes after it).
    /// </summary>
    public static async Task ScanAsync(IDatabase db, string pattern, Action<RedisKey[]> page)
    {
        Task<RedisResult> Scan(string cursor) =>
            db.ExecuteAsync("SCAN", [cursor, "MATCH", pattern, "COUNT", ScanCount], CommandFlags.DemandMaster);

        var pending = Scan("0");
        while (true)
        {
            var parts = (RedisResult[])(await pending.ConfigureAwait(false))!;
            var cursor = parts[0].ToString();
            var keys = (RedisKey[])parts[1]!;
            var more = cursor != "0";
            if (more) pending = Scan(cursor);
            if (keys.Length > 0) page(keys);
            if (!more) return;
        }
    }
}
