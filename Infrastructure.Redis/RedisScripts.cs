using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis;

/// <summary>The Lua scripts the driver sends (<c>Scripts/*.lua</c>, embedded resources), each loaded once.</summary>
internal static class RedisScripts
{
    /// <summary>The listing's earliest timestamps per trace list (<see cref="RedisTraceLister"/>).</summary>
    public static readonly string EarliestTimestamps = Load("EarliestTimestamps.lua");

    /// <summary>The expiry of the keys a write touched, skipping pinned traces (<see cref="RedisTraceWriter"/>, with ttl only).</summary>
    public static readonly string ExpireUnpinned = Load("ExpireUnpinned.lua");

    /// <summary>
    /// The rules of a search summary (<c>merge</c>, <c>restate</c>, and the index writes <c>zadd</c>/<c>zrem</c>), put
    /// before <see cref="WriteTrace"/>, <see cref="Summarise"/> and <see cref="ForgetSummaries"/> so that all follow one copy.
    /// </summary>
    private static readonly string SummaryMerge = Load("SummaryMerge.lua");

    /// <summary>
    /// The guard of a batch's write (one hash slot's share on a cluster), run after its LPUSHes in one MULTI: sets the
    /// batch key, or takes the pushes off again when the batch was stored already, and merges the summaries (<see cref="RedisTraceWriter"/>).
    /// </summary>
    public static readonly string WriteTrace = SummaryMerge + Load("WriteTrace.lua");

    /// <summary>
    /// SHA-1 of <see cref="WriteTrace"/> in lower-case hex, as <c>EVALSHA</c> takes it (a cluster's writes). Computed on
    /// first use: hashing loads the platform's cryptography (OpenSSL), some milliseconds a command that never writes (a
    /// listing) has no need to spend.
    /// </summary>
    public static string WriteTraceSha => Sha.WriteTrace;

    private static class Sha
    {
        public static readonly string WriteTrace = ScriptSha(RedisScripts.WriteTrace);
    }

    /// <summary>Redis names a cached script by the SHA-1 of its text: an identifier the protocol fixes, not a security measure.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "Redis's script cache is keyed by SHA-1; nothing is protected by it.")]
    private static string ScriptSha(string script) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(script)));

    /// <summary>One small batch of a prune's deletions (<see cref="RedisTraceLifecycle"/>).</summary>
    public static readonly string PruneTraces = Load("PruneTraces.lua");

    /// <summary>Digests of traces another writer stored, merged into their summaries and the search indexes (<see cref="RedisSearch"/>).</summary>
    public static readonly string Summarise = SummaryMerge + Load("Summarise.lua");

    /// <summary>One bounded step of a search (<see cref="RedisSearch"/>).</summary>
    public static readonly string Search = Load("Search.lua");

    /// <summary>The listing columns of a page's trace summaries, as one string (<see cref="RedisSearch"/>).</summary>
    public static readonly string SummaryRows = Load("SummaryRows.lua");

    /// <summary>Summaries and index entries of deleted traces (<see cref="RedisTraceCleanup"/>).</summary>
    public static readonly string ForgetSummaries = SummaryMerge + Load("ForgetSummaries.lua");

    /// <summary>
    /// Queues <c>EVAL</c> of <paramref name="script"/> on <paramref name="db"/> (a database or a batch). Always EVAL,
    /// never EVALSHA: StackExchange.Redis's retry of an EVALSHA answered NOSCRIPT (a server whose script cache was
    /// flushed, or a new master) never completes inside a batch, and the server caches the script by its hash anyway.
    /// </summary>
    public static Task<RedisResult> Eval(IDatabaseAsync db, string script, RedisKey[] keys, RedisValue[] values)
    {
        var arguments = new List<object>(2 + keys.Length + values.Length) { script, keys.Length };
        foreach (var key in keys) arguments.Add(key);
        foreach (var value in values) arguments.Add(value);
        return db.ExecuteAsync("EVAL", arguments);
    }

    /// <summary>
    /// Sends <c>EVAL</c> of <paramref name="script"/> to one <paramref name="server"/> with no keys and
    /// <paramref name="values"/> as ARGV: a Redis Cluster node then runs it whatever slots the names in ARGV hash to,
    /// as long as the keys the script reads are its own.
    /// </summary>
    public static Task<RedisResult> EvalOn(IServer server, string script, RedisValue[] values)
    {
        var arguments = new List<object>(2 + values.Length) { script, 0 };
        foreach (var value in values) arguments.Add(value);
        return server.ExecuteAsync("EVAL", arguments, CommandFlags.DemandMaster);
    }

    private static string Load(string file)
    {
        var name = $"{typeof(RedisScripts).Namespace}.Scripts.{file}";
        using var stream = typeof(RedisScripts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The Redis driver assembly lacks its embedded resource '{name}': rebuild it.");
        using var reader = new StreamReader(stream);
        return Compact(reader.ReadToEnd());
    }

    /// <summary>
    /// The script as sent: full-line comments and indentation dropped (the scripts hold no multi-line strings), each line
    /// kept, so that a line number in a server's error is still the file's. Scripts are sent with EVAL (a single server's
    /// write script inside its MULTI, with every write), and the server hashes the whole text each time.
    /// </summary>
    internal static string Compact(string script) =>
        string.Join('\n', script.Split('\n').Select(line => line.TrimStart() is var code && code.StartsWith("--", StringComparison.Ordinal) ? "" : code));
}
