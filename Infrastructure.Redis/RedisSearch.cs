using System.Globalization;
using Profiler.Domain;
using Profiler.Storage;
using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Search on the per-trace summaries (docs/search.md): each trace's hash <c>{osprofiler_opt:&lt;id&gt;}:summary</c>
/// and the sorted sets <c>profiler_idx:*</c> (start, duration, errors, and one set per service, project, host and
/// operation name, scored by start), kept by the writer's <c>Summarise.lua</c> in the write's own batch.
/// </summary>
/// <remarks>
/// A search walks the smallest of the sets it names (each counted with <c>ZCOUNT</c> over the time range first), newest
/// first, in bounded <c>Search.lua</c> steps that test the other sets and the duration by <c>ZSCORE</c>, until it has a
/// page. Traces another writer (OSProfiler) stored are summarised first: when the keyspace's size (<c>DBSIZE</c>)
/// differs from the one the last look recorded, one <c>SCAN</c> of the trace lists with an <c>EXISTS</c> per list finds
/// those without a summary, which are read and summarised once.
/// </remarks>
internal sealed class RedisSearch(RedisStoreOptions options, RedisConnection connection)
{
    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;

    /// <summary>Entries one <c>Search.lua</c> call examines at most.</summary>
    internal const int Budget = 20_000;

    /// <summary>Traces read and summarised per pipelined round trip when catching up.</summary>
    private const int SummariseChunk = 200;

    private static readonly RedisValue[] SummaryFields =
        ["start_ts", "stop_us", "start_us", "root", "ops", "error", "services"];

    /// <summary>Queues one <c>Summarise.lua</c> for the digests of several traces on <paramref name="db"/> (a batch or a database).</summary>
    /// <remarks>With <paramref name="batchId"/> (the writer's), a trace's digest is merged only when this write's
    /// <c>WriteTrace.lua</c> stored its points, so that a retried batch is not counted twice.</remarks>
    public static Task<RedisResult> QueueSummarise(IDatabaseAsync db, IReadOnlyList<TraceDigest> digests, long? ttlSeconds, string mode,
        Guid? batchId = null)
    {
        var keys = new List<RedisKey>(4 + digests.Count * 6) { StartIndex, DurationIndex, ErrorIndex, PinnedKey };
        var values = new List<RedisValue>(3 + digests.Count * 10) { ttlSeconds ?? 0, mode, digests.Count };
        foreach (var digest in digests)
        {
            var terms = TermKeys(digest);
            keys.Add(SummaryKey(digest.BaseId));
            if (batchId is { } id) keys.Add(BatchKey(digest.BaseId, id));
            foreach (var term in terms) keys.Add(term);
            values.Add(digest.BaseId);
            values.Add(digest.HasTime ? digest.StartMicroseconds : RedisValue.EmptyString);
            values.Add(digest.StartText);
            values.Add(digest.HasTime ? digest.StopMicroseconds : RedisValue.EmptyString);
            values.Add(digest.Root ?? "");
            values.Add(digest.Operations);
            values.Add(digest.Points);
            values.Add(digest.Error ? 1 : 0);
            values.Add(string.Join('\n', digest.Services.Where(s => !s.Contains('\n'))));
            values.Add(terms.Count);
            values.Add(batchId is null ? 0 : 1);
        }
        return RedisScripts.Eval(db, RedisScripts.Summarise, [.. keys], [.. values]);
    }

    private static List<string> TermKeys(TraceDigest d)
    {
        var keys = new List<string>(d.Services.Count + d.Projects.Count + d.Hosts.Count + d.Names.Count);
        foreach (var v in d.Services) keys.Add(TermKey('s', v));
        foreach (var v in d.Projects) keys.Add(TermKey('p', v));
        foreach (var v in d.Hosts) keys.Add(TermKey('h', v));
        foreach (var v in d.Names) keys.Add(TermKey('n', v));
        // A newline would split the hash's list of term keys: such a value is not indexed (a search for it finds nothing).
        keys.RemoveAll(k => k.Contains('\n'));
        return keys;
    }

    // ---- search -----------------------------------------------------------------------------------------------

    public async Task<TracePage> ListAsync(TraceListQuery query, CancellationToken cancellationToken)
    {
        var (cursorTicks, cursorId) = ListingCursor.Parse(query.Cursor);
        return await connection.RunAsync("search traces in", async db =>
        {
            await CatchUpAsync(db).ConfigureAwait(false);
            var plan = await PlanAsync(db, query, cursorTicks, cursorId).ConfigureAwait(false);
            var found = new List<(string Id, double Score)>();
            var max = plan.Max;
            var tie = plan.Tie;
            while (true)
            {
                var step = await StepAsync(db, plan, max, tie, query.Limit + 1 - found.Count).ConfigureAwait(false);
                found.AddRange(step.Found);
                if (found.Count > query.Limit || step.Done) break;
                (max, tie) = (step.LastScore, step.LastId);
            }
            string? next = null;
            if (found.Count > query.Limit)
            {
                found.RemoveRange(query.Limit, found.Count - query.Limit);
                var (id, score) = found[^1];
                next = ListingCursor.Format(EpochTicks + (long)score * 10, id);
            }
            var ids = found.Select(f => f.Id).ToList();
            var page = await RowsAsync(db, ids, query.Fields).ConfigureAwait(false);
            return new TracePage(ids.Select(id => page[id]).ToList(), next);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> CountAsync(TraceListQuery query, CancellationToken cancellationToken) =>
        await connection.RunAsync("count traces in", async db =>
        {
            await CatchUpAsync(db).ConfigureAwait(false);
            var plan = await PlanAsync(db, query, 0, null).ConfigureAwait(false);
            // One set, no duration, no expiry: the set's ZCOUNT is the answer.
            if (plan.Members.Length == 0 && !plan.Durations && !Check) return plan.DrivingCount;
            long count = 0;
            var (max, tie) = (plan.Max, plan.Tie);
            while (true)
            {
                var step = await StepAsync(db, plan, max, tie, 0).ConfigureAwait(false);
                count += step.Count;
                if (step.Done) return count;
                (max, tie) = (step.LastScore, step.LastId);
            }
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>With ttl, a summary may expire under its index entries: each match is checked and stale entries dropped.</summary>
    private bool Check => options.TtlSeconds is not null;

    private sealed record Plan(RedisKey Driving, long DrivingCount, RedisKey[] Members, string Max, string Tie, string Min,
        string MinDuration, string MaxDuration)
    {
        public bool Durations => MinDuration.Length > 0 || MaxDuration.Length > 0;
    }

    private static async Task<Plan> PlanAsync(IDatabase db, TraceListQuery query, long cursorTicks, string? cursorId)
    {
        var f = query.Filter ?? new TraceFilter();
        var min = f.Since is { } since ? Num(TraceDigest.UnixMicroseconds(since)) : "-inf";
        var max = f.Until is { } until ? Num(TraceDigest.UnixMicroseconds(until)) : "+inf";
        var tie = "";
        if (cursorId is not null)
        {
            var cursorUs = cursorTicks == PointSummary.NoTime ? 0 : (cursorTicks - EpochTicks) / 10;
            if (f.Until is null || cursorUs <= TraceDigest.UnixMicroseconds(f.Until.Value))
            {
                max = Num(cursorUs);
                tie = cursorId;
            }
        }
        var sets = new List<RedisKey>();
        if (f.Service is not null) sets.Add(TermKey('s', f.Service));
        if (f.Project is not null) sets.Add(TermKey('p', f.Project));
        if (f.Host is not null) sets.Add(TermKey('h', f.Host));
        if (f.Name is not null) sets.Add(TermKey('n', f.Name));
        if (query.ErrorsOnly) sets.Add(ErrorIndex);
        var candidates = sets.Count == 0 ? [StartIndex] : sets;
        var batch = db.CreateBatch();
        var counts = candidates.Select(k => batch.SortedSetLengthAsync(k, Score(min), Score(max))).ToArray();
        batch.Execute();
        var sizes = await Task.WhenAll(counts).ConfigureAwait(false);
        var best = Array.IndexOf(sizes, sizes.Min());
        var driving = candidates[best];
        var members = candidates.Where((_, i) => i != best).ToArray();
        return new Plan(driving, sizes[best], members, max, tie, min,
            f.MinDuration is { } lo ? Num(TraceDigest.Microseconds(lo)) : "",
            f.MaxDuration is { } hi ? Num(TraceDigest.Microseconds(hi)) : "");
    }

    private static double Score(string bound) => bound switch
    {
        "-inf" => double.NegativeInfinity,
        "+inf" => double.PositiveInfinity,
        _ => double.Parse(bound, CultureInfo.InvariantCulture),
    };

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record Step(List<(string Id, double Score)> Found, long Count, string LastScore, string LastId, bool Done);

    private async Task<Step> StepAsync(IDatabase db, Plan plan, string max, string tie, int want)
    {
        var keys = new RedisKey[3 + plan.Members.Length];
        keys[0] = plan.Driving;
        keys[1] = DurationIndex;
        keys[2] = StartIndex;
        Array.Copy(plan.Members, 0, keys, 3, plan.Members.Length);
        RedisValue[] values = [max, tie, plan.Min, plan.MinDuration, plan.MaxDuration, want, Budget, Check ? "1" : "0"];
        var result = (RedisResult[])(await RedisScripts.Eval(db, RedisScripts.Search, keys, values).ConfigureAwait(false))!;
        var pairs = (RedisResult[])result[0]!;
        var found = new List<(string, double)>(pairs.Length / 2);
        for (var i = 0; i + 1 < pairs.Length; i += 2)
            found.Add(((string)pairs[i]!, double.Parse((string)pairs[i + 1]!, CultureInfo.InvariantCulture)));
        return new Step(found, (long)result[1], (string)result[2]!, (string)result[3]!, (long)result[4] == 1);
    }

    /// <summary>The listing rows of <paramref name="ids"/> from their summaries (and the earliest point for extra fields).</summary>
    private static async Task<Dictionary<string, TraceSummary>> RowsAsync(IDatabase db, List<string> ids, IReadOnlyList<string> fields)
    {
        var batch = db.CreateBatch();
        var hashes = ids.Select(id => batch.HashGetAsync(SummaryKey(id), SummaryFields)).ToArray();
        var allFields = fields.Any(f => f is not ("base_id" or "timestamp"));
        var tails = allFields ? ids.Select(id => batch.ListGetByIndexAsync(ListPrefix + id, -1)).ToArray() : null;
        batch.Execute();
        var rows = new Dictionary<string, TraceSummary>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            var h = await hashes[i].ConfigureAwait(false);
            PointSummary? earliest = null;
            if (tails is not null)
            {
                var tail = await tails[i].ConfigureAwait(false);
                if (!tail.IsNull) earliest = PointSummary.Read(((ReadOnlyMemory<byte>)tail).Span);
            }
            var values = new Dictionary<string, string?>(fields.Count, StringComparer.Ordinal);
            foreach (var f in fields)
                values[f] = f switch { "base_id" => ids[i], "timestamp" => (string?)h[0], _ => earliest?.Field(f) };
            rows[ids[i]] = ToSummary(ids[i], h, values);
        }
        return rows;
    }

    private static TraceSummary ToSummary(string id, RedisValue[] h, IReadOnlyDictionary<string, string?> fields)
    {
        long.TryParse((string?)h[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var stop);
        long.TryParse((string?)h[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start);
        var services = (string?)h[6];
        return new TraceSummary(id, (string?)h[0] ?? "", fields)
        {
            DurationMs = (stop - start) / 1000.0,
            Root = (string?)h[3],
            Operations = (int)(long)h[4],
            Error = (long)h[5] == 1,
            Services = string.IsNullOrEmpty(services) ? [] : services.Split('\n'),
        };
    }

    /// <summary>
    /// The summaries of an unfiltered page's traces, summarising those without one (another writer's) from their
    /// points and storing it for next time. Adds the summary members to each row.
    /// </summary>
    public async Task<IReadOnlyList<TraceSummary>> EnrichAsync(IReadOnlyList<TraceSummary> page, CancellationToken cancellationToken)
    {
        if (page.Count == 0) return page;
        return await connection.RunAsync("list traces in", async db =>
        {
            var batch = db.CreateBatch();
            var hashes = page.Select(t => batch.HashGetAsync(SummaryKey(t.BaseId), SummaryFields)).ToArray();
            batch.Execute();
            var rows = new TraceSummary[page.Count];
            var missing = new List<string>();
            for (var i = 0; i < page.Count; i++)
            {
                var h = await hashes[i].ConfigureAwait(false);
                if (h[2].IsNull) missing.Add(page[i].BaseId);
                else rows[i] = ToSummary(page[i].BaseId, h, page[i].Fields) with { Timestamp = page[i].Timestamp };
            }
            Dictionary<string, TraceDigest> digests = [];
            try
            {
                if (missing.Count > 0) digests = await SummariseAsync(db, missing, "absent").ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Kind is RedisErrorKind.NoPermission or RedisErrorKind.UnknownCommand)
            {
                // Scripts refused: the page is listed without the summaries it lacks.
            }
            for (var i = 0; i < page.Count; i++)
                if (rows[i] is null)
                    rows[i] = digests.TryGetValue(page[i].BaseId, out var d)
                        ? d.ToSummary(page[i].Fields) with { Timestamp = page[i].Timestamp }
                        : page[i];
            return (IReadOnlyList<TraceSummary>)rows;
        }, cancellationToken).ConfigureAwait(false);
    }

    // ---- summarising what another writer stored ----------------------------------------------------------------

    /// <summary>Summarises trace lists that have no summary, unless the keyspace's size is the one last recorded.</summary>
    private async Task CatchUpAsync(IDatabase db)
    {
        var size = await KeyspaceSizeAsync(db).ConfigureAwait(false);
        var marker = await db.StringGetAsync(CheckedKey).ConfigureAwait(false);
        if (marker.TryParse(out long recorded) && recorded == size) return;
        var missing = await UnsummarisedAsync(db).ConfigureAwait(false);
        foreach (var chunk in missing.Chunk(SummariseChunk))
            await SummariseAsync(db, chunk, "absent").ConfigureAwait(false);
        // The size measured before the look: a look that summarised something (or saw writes meanwhile) is repeated once.
        await db.StringSetAsync(CheckedKey, size).ConfigureAwait(false);
    }

    private static async Task<List<string>> UnsummarisedAsync(IDatabase db)
    {
        var checks = new List<(string Id, Task<bool> Exists)>();
        await ScanAsync(db, ListPrefix + "*", keys =>
        {
            var batch = db.CreateBatch();
            foreach (var key in keys)
            {
                var id = key.ToString()[ListPrefix.Length..];
                if (TracePointRules.IsSafeId(id)) checks.Add((id, batch.KeyExistsAsync(SummaryKey(id))));
            }
            batch.Execute();
        }).ConfigureAwait(false);
        var missing = new List<string>();
        foreach (var (id, exists) in checks)
            if (!await exists.ConfigureAwait(false)) missing.Add(id);
        return missing;
    }

    /// <summary>Reads whole trace lists and writes their digests with <c>Summarise.lua</c> in <paramref name="mode"/>.</summary>
    private async Task<Dictionary<string, TraceDigest>> SummariseAsync(IDatabase db, IReadOnlyList<string> ids, string mode)
    {
        var batch = db.CreateBatch();
        var reads = ids.Select(id => batch.ListRangeAsync(ListPrefix + id)).ToArray();
        batch.Execute();
        var digests = new Dictionary<string, TraceDigest>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            RedisValue[] points;
            try
            {
                points = await reads[i].ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Kind == RedisErrorKind.WrongType)
            {
                continue;
            }
            if (points.Length == 0) continue;
            var digest = new TraceDigest(ids[i]);
            // LPUSH keeps the newest first: the tail was stored first (the earliest on a timestamp tie, D3).
            for (var p = points.Length - 1; p >= 0; p--)
                digest.Add(StoredPoint.FromDocument(((ReadOnlyMemory<byte>)points[p]).Span));
            digests[ids[i]] = digest;
        }
        if (digests.Count > 0)
            await QueueSummarise(db, [.. digests.Values], options.TtlSeconds, mode).ConfigureAwait(false);
        return digests;
    }

    /// <summary>Rebuilds every trace list's summary from its points; returns how many were summarised.</summary>
    public async Task<long> ReindexAsync(CancellationToken cancellationToken) =>
        await connection.RunAsync("reindex traces in", async db =>
        {
            var size = await KeyspaceSizeAsync(db).ConfigureAwait(false);
            var ids = new List<string>();
            await ScanAsync(db, ListPrefix + "*", keys =>
            {
                foreach (var key in keys)
                {
                    var id = key.ToString()[ListPrefix.Length..];
                    if (TracePointRules.IsSafeId(id)) ids.Add(id);
                }
            }).ConfigureAwait(false);
            long done = 0;
            foreach (var chunk in ids.Chunk(SummariseChunk))
            {
                cancellationToken.ThrowIfCancellationRequested();
                done += (await SummariseAsync(db, chunk, "replace").ConfigureAwait(false)).Count;
            }
            await db.StringSetAsync(CheckedKey, size).ConfigureAwait(false);
            return done;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>Removes the summaries and index entries of deleted traces (<c>ForgetSummaries.lua</c>).</summary>
    public static Task<RedisResult> QueueForget(IDatabaseAsync db, IReadOnlyList<string> ids)
    {
        var keys = new RedisKey[3 + ids.Count];
        keys[0] = StartIndex;
        keys[1] = DurationIndex;
        keys[2] = ErrorIndex;
        for (var i = 0; i < ids.Count; i++) keys[3 + i] = SummaryKey(ids[i]);
        return RedisScripts.Eval(db, RedisScripts.ForgetSummaries, keys, [.. ids.Select(id => (RedisValue)id)]);
    }
}
