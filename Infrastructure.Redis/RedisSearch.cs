using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Profiler.Domain;
using Profiler.Storage;
using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Search on the per-trace summaries (docs/search.md): each trace's hash <c>{osprofiler_opt:&lt;id&gt;}:summary</c>
/// and the index sorted sets (<see cref="RedisKeyspace"/>: <c>profiler_idx:*</c>, <c>{profiler}:idx:*</c> on a cluster;
/// start, duration, errors, and one set per service, project, host and operation name, scored by start), kept by the
/// writer's <c>WriteTrace.lua</c> in the script that stores the points (on a cluster the index writes follow in a second
/// round trip).
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

    /// <summary>
    /// Queues <c>Summarise.lua</c> for the digests of several traces on <paramref name="db"/> (a batch or a database):
    /// one call on a single server, which writes the indexes too; on a cluster one call per hash slot, whose results
    /// hold the index writes for <see cref="ApplyIndexWritesAsync"/>.
    /// </summary>
    private static Task<RedisResult>[] QueueSummarise(IDatabaseAsync db, RedisKeyspace keyspace, IReadOnlyList<TraceDigest> digests,
        long? ttlSeconds, string mode)
    {
        if (!keyspace.Cluster) return [QueueSummariseCall(db, keyspace, digests, ttlSeconds, mode)];
        var calls = new List<Task<RedisResult>>();
        foreach (var group in RedisTopology.BySlot(db.Multiplexer, cluster: true, digests, d => SummaryKey(d.BaseId)))
            calls.Add(QueueSummariseCall(db, keyspace, group, ttlSeconds, mode));
        return [.. calls];
    }

    private static Task<RedisResult> QueueSummariseCall(IDatabaseAsync db, RedisKeyspace keyspace, IReadOnlyList<TraceDigest> digests,
        long? ttlSeconds, string mode)
    {
        var here = !keyspace.Cluster;
        var keys = new List<RedisKey>(1 + digests.Count * 2);
        if (here) keys.Add(keyspace.Pinned);
        var values = new List<RedisValue>(7 + digests.Count * (1 + DigestValues))
        {
            ttlSeconds ?? 0, mode, digests.Count, here ? "here" : "back", keyspace.StartIndex, keyspace.DurationIndex, keyspace.ErrorIndex,
        };
        foreach (var digest in digests)
        {
            keys.Add(SummaryKey(digest.BaseId));
            if (!here) keys.Add(RedisKeyspace.PinMarker(ListPrefix + digest.BaseId));
            values.Add(digest.BaseId);
            AddDigest(values, keyspace, digest);
        }
        return RedisScripts.Eval(db, RedisScripts.Summarise, [.. keys], [.. values]);
    }

    /// <summary>The values of one digest as the summary scripts take it (<see cref="AddDigest"/>).</summary>
    internal const int DigestValues = 9;

    /// <summary>
    /// A digest as the summary scripts take it (<c>SummaryMerge.lua</c>): start µs, start text, stop µs, root, operations,
    /// points, error, services and the names of its term sets, each list joined by newlines.
    /// </summary>
    internal static void AddDigest(List<RedisValue> values, RedisKeyspace keyspace, TraceDigest digest)
    {
        var start = values.Count;
        CollectionsMarshal.SetCount(values, start + DigestValues);
        FillDigest(CollectionsMarshal.AsSpan(values).Slice(start, DigestValues), keyspace, digest);
    }

    /// <summary>Writes a digest's <see cref="DigestValues"/> values (<see cref="AddDigest"/>) into <paramref name="into"/>.</summary>
    internal static void FillDigest(Span<RedisValue> into, RedisKeyspace keyspace, TraceDigest digest)
    {
        into[0] = digest.HasTime ? digest.StartMicroseconds : RedisValue.EmptyString;
        into[1] = digest.StartText;
        into[2] = digest.HasTime ? digest.StopMicroseconds : RedisValue.EmptyString;
        into[3] = digest.Root ?? "";
        into[4] = digest.Operations;
        into[5] = digest.Points;
        into[6] = digest.Error ? 1 : 0;
        into[7] = Lines(digest.Services);
        into[8] = TermKeys(keyspace, digest);
    }

    /// <summary>The values joined by newlines, leaving out any that holds a newline (it would split the list).</summary>
    private static string Lines(SortedSet<string> values)
    {
        if (values.Count == 1 && values.Min is { } only && !only.Contains('\n')) return only;
        var text = new StringBuilder();
        foreach (var v in values)
        {
            if (v.Contains('\n')) continue;
            if (text.Length > 0) text.Append('\n');
            text.Append(v);
        }
        return text.ToString();
    }
    /// <summary>
    /// On a cluster, sends the index writes the calls of <c>Summarise.lua</c> or <c>ForgetSummaries.lua</c> handed back
    /// (<c>{ count, { 'a'|'r', set, score, base id, … } }</c>) to the index slot, in one pipelined round trip: the
    /// sets live there, not in the traces' slots. Nothing to do on a single server (the scripts wrote them).
    /// </summary>
    public static async Task ApplyIndexWritesAsync(IDatabaseAsync db, RedisKeyspace keyspace, IEnumerable<Task<RedisResult>> calls)
    {
        if (!keyspace.Cluster) return;
        var adds = new Dictionary<string, List<SortedSetEntry>>(StringComparer.Ordinal);
        var removes = new Dictionary<string, List<RedisValue>>(StringComparer.Ordinal);
        foreach (var call in calls)
        {
            var result = (RedisResult[])(await call.ConfigureAwait(false))!;
            var writes = (RedisResult[])result[1]!;
            for (var i = 0; i + 3 < writes.Length; i += 4)
            {
                var key = (string)writes[i + 1]!;
                if ((string?)writes[i] == "a")
                {
                    if (!adds.TryGetValue(key, out var entries)) adds[key] = entries = [];
                    entries.Add(new SortedSetEntry((string)writes[i + 3]!, (double)writes[i + 2]));
                }
                else
                {
                    if (!removes.TryGetValue(key, out var members)) removes[key] = members = [];
                    members.Add((string)writes[i + 3]!);
                }
            }
        }
        if (adds.Count == 0 && removes.Count == 0) return;
        var batch = db.Multiplexer.GetDatabase(db.Database).CreateBatch();
        var pending = new List<Task>(adds.Count + removes.Count);
        foreach (var (key, members) in removes) pending.Add(batch.SortedSetRemoveAsync(key, [.. members]));
        foreach (var (key, entries) in adds) pending.Add(batch.SortedSetAddAsync(key, [.. entries]));
        batch.Execute();
        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    /// <summary>
    /// The names of the term sets of a digest, joined by newlines as a summary's <c>terms</c> field keeps them: services,
    /// projects, hosts, operation names. A newline would split the list: such a value is not indexed (a search for it
    /// finds nothing).
    /// </summary>
    private static string TermKeys(RedisKeyspace keyspace, TraceDigest d)
    {
        // The usual digest of a batch's share of a trace: one service, project, host and operation. Built in one piece
        // (enumerating a SortedSet allocates a stack for its walk; this runs for every trace of every write).
        if (d.Services.Count == 1 && d.Projects.Count == 1 && d.Hosts.Count == 1 && d.Names.Count == 1
            && d.Services.Min is { } service && d.Projects.Min is { } project && d.Hosts.Min is { } host && d.Names.Min is { } name
            && !service.Contains('\n') && !project.Contains('\n') && !host.Contains('\n') && !name.Contains('\n'))
        {
            var prefix = keyspace.IndexPrefix;
            return string.Concat([prefix, "s:", service, "\n", prefix, "p:", project, "\n", prefix, "h:", host, "\n", prefix, "n:", name]);
        }
        var text = new StringBuilder(128);
        Append('s', d.Services);
        Append('p', d.Projects);
        Append('h', d.Hosts);
        Append('n', d.Names);
        return text.ToString();

        void Append(char kind, SortedSet<string> values)
        {
            foreach (var v in values)
            {
                if (v.Contains('\n')) continue;
                if (text.Length > 0) text.Append('\n');
                text.Append(keyspace.IndexPrefix).Append(kind).Append(':').Append(v);
            }
        }
    }

    // ---- search -----------------------------------------------------------------------------------------------

    public async Task<TracePage> ListAsync(TraceListQuery query, CancellationToken cancellationToken)
    {
        var (cursorTicks, cursorId) = ListingCursor.Parse(query.Cursor);
        return await connection.RunAsync("search traces in", async db =>
        {
            var keyspace = RedisKeyspace.For(db.Multiplexer);
            await CatchUpAsync(db, keyspace).ConfigureAwait(false);
            var plan = await PlanAsync(db, keyspace, query, cursorTicks, cursorId).ConfigureAwait(false);
            var found = new List<(string Id, double Score)>();
            var max = plan.Max;
            var tie = plan.Tie;
            while (true)
            {
                var step = await StepAsync(db, keyspace, plan, max, tie, query.Limit + 1 - found.Count).ConfigureAwait(false);
                found.AddRange(keyspace.Cluster && Check ? await LiveAsync(db, keyspace, step.Found).ConfigureAwait(false) : step.Found);
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
            var keyspace = RedisKeyspace.For(db.Multiplexer);
            await CatchUpAsync(db, keyspace).ConfigureAwait(false);
            var plan = await PlanAsync(db, keyspace, query, 0, null).ConfigureAwait(false);
            // One set, no duration, no expiry checked here: the set's ZCOUNT is the answer.
            if (plan.Members.Length == 0 && !plan.Durations && !(Check && !keyspace.Cluster)) return plan.DrivingCount;
            long count = 0;
            var (max, tie) = (plan.Max, plan.Tie);
            while (true)
            {
                var step = await StepAsync(db, keyspace, plan, max, tie, 0).ConfigureAwait(false);
                count += step.Count;
                if (step.Done) return count;
                (max, tie) = (step.LastScore, step.LastId);
            }
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// With ttl, a summary may expire under its index entries: each match is checked and stale entries dropped (on a
    /// single server by <c>Search.lua</c>; on a cluster, where the summaries live in other slots than the indexes, by
    /// <see cref="LiveAsync"/> for the traces a page lists, so a count there may include traces expired since).
    /// </summary>
    private bool Check => options.TtlSeconds is not null;

    /// <summary>
    /// On a cluster with ttl: the matches whose summary still exists; the index entries of the others (expired with
    /// their trace) go from the start, duration and error sets (term sets drop them when a later write or reindex
    /// replaces them).
    /// </summary>
    private static async Task<List<(string Id, double Score)>> LiveAsync(IDatabase db, RedisKeyspace keyspace, List<(string Id, double Score)> found)
    {
        if (found.Count == 0) return found;
        var batch = db.CreateBatch();
        var exists = found.Select(f => batch.KeyExistsAsync(SummaryKey(f.Id))).ToArray();
        batch.Execute();
        var live = new List<(string Id, double Score)>(found.Count);
        var stale = new List<RedisValue>();
        for (var i = 0; i < found.Count; i++)
            if (await exists[i].ConfigureAwait(false)) live.Add(found[i]);
            else stale.Add(found[i].Id);
        if (stale.Count > 0)
        {
            var drop = db.CreateBatch();
            var removals = new[] { keyspace.StartIndex, keyspace.DurationIndex, keyspace.ErrorIndex }
                .Select(key => drop.SortedSetRemoveAsync(key, [.. stale])).ToArray();
            drop.Execute();
            await Task.WhenAll(removals).ConfigureAwait(false);
        }
        return live;
    }

    private sealed record Plan(RedisKey Driving, long DrivingCount, RedisKey[] Members, string Max, string Tie, string Min,
        string MinDuration, string MaxDuration)
    {
        public bool Durations => MinDuration.Length > 0 || MaxDuration.Length > 0;
    }

    private static async Task<Plan> PlanAsync(IDatabase db, RedisKeyspace keyspace, TraceListQuery query, long cursorTicks, string? cursorId)
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
        if (f.Service is not null) sets.Add(keyspace.TermKey('s', f.Service));
        if (f.Project is not null) sets.Add(keyspace.TermKey('p', f.Project));
        if (f.Host is not null) sets.Add(keyspace.TermKey('h', f.Host));
        if (f.Name is not null) sets.Add(keyspace.TermKey('n', f.Name));
        if (query.ErrorsOnly) sets.Add(keyspace.ErrorIndex);
        var candidates = sets.Count == 0 ? [keyspace.StartIndex] : sets;
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

    private async Task<Step> StepAsync(IDatabase db, RedisKeyspace keyspace, Plan plan, string max, string tie, int want)
    {
        var keys = new RedisKey[3 + plan.Members.Length];
        keys[0] = plan.Driving;
        keys[1] = keyspace.DurationIndex;
        keys[2] = keyspace.StartIndex;
        Array.Copy(plan.Members, 0, keys, 3, plan.Members.Length);
        RedisValue[] values =
            [max, tie, plan.Min, plan.MinDuration, plan.MaxDuration, want, Budget, Check && !keyspace.Cluster ? "1" : "0", keyspace.ErrorIndex];
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
    /// <remarks>
    /// On one server the summaries are read by <c>Scripts/SummaryRows.lua</c>, <see cref="RowsPerScript"/> a call, each
    /// call's rows sent back as one string (<see cref="ReadRows"/>): a page of 20,000 traces is 20 replies rather than
    /// 20,000, which cost the client more than anything else a long listing does. On a Redis Cluster (where a script's
    /// keys must share one slot) or when scripts are refused, each summary is read with its own <c>HMGET</c>.
    /// </remarks>
    public async Task<IReadOnlyList<TraceSummary>> EnrichAsync(IReadOnlyList<TraceSummary> page, CancellationToken cancellationToken)
    {
        if (page.Count == 0) return page;
        return await connection.RunAsync("list traces in", async db =>
        {
            var rows = new TraceSummary?[page.Count];
            var missing = new List<string>();
            if (RedisTopology.IsCluster(db.Multiplexer) || !await ReadRowsAsync(db, page, rows, missing).ConfigureAwait(false))
                await ReadHashesAsync(db, page, rows, missing).ConfigureAwait(false);
            Dictionary<string, TraceDigest> digests = [];
            try
            {
                if (missing.Count > 0) digests = await SummariseAsync(db, RedisKeyspace.For(db.Multiplexer), missing, "absent").ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Kind is RedisErrorKind.NoPermission or RedisErrorKind.UnknownCommand)
            {
                // Scripts refused: the page is listed without the summaries it lacks.
            }
            for (var i = 0; i < page.Count; i++)
                rows[i] ??= digests.TryGetValue(page[i].BaseId, out var d)
                    ? d.ToSummary(page[i].Fields) with { Timestamp = page[i].Timestamp }
                    : page[i];
            return (IReadOnlyList<TraceSummary>)rows!;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Summaries one <c>SummaryRows.lua</c> call reads: a short, bounded stall of the server each.</summary>
    internal const int RowsPerScript = 1000;

    /// <summary>
    /// Reads the page's summaries with <c>Scripts/SummaryRows.lua</c> into <paramref name="rows"/>, adding the base ids
    /// of traces without one to <paramref name="missing"/>; false, with nothing read, when the server refuses scripts
    /// (an ACL without EVAL: NoPermission; scripting disabled: UnknownCommand).
    /// </summary>
    private static async Task<bool> ReadRowsAsync(IDatabase db, IReadOnlyList<TraceSummary> page, TraceSummary?[] rows, List<string> missing)
    {
        // Each call goes out as soon as it is made (not held for a batch): the server reads the first thousand while
        // the client names the next.
        var calls = new Task<RedisResult>[(page.Count + RowsPerScript - 1) / RowsPerScript];
        for (var c = 0; c < calls.Length; c++)
        {
            var start = c * RowsPerScript;
            var keys = new RedisKey[Math.Min(RowsPerScript, page.Count - start)];
            for (var i = 0; i < keys.Length; i++) keys[i] = SummaryKey(page[start + i].BaseId);
            calls[c] = RedisScripts.Eval(db, RedisScripts.SummaryRows, keys, []);
        }
        var texts = new RowTexts();
        for (var c = 0; c < calls.Length; c++)
        {
            RedisResult reply;
            try
            {
                reply = await calls[c].ConfigureAwait(false);
            }
            catch (RedisServerException e) when (c == 0 && e.Kind is RedisErrorKind.NoPermission or RedisErrorKind.UnknownCommand)
            {
                // Every call of the batch is refused alike: wait for them all (observing their failures), read nothing.
                try
                {
                    await Task.WhenAll(calls).ConfigureAwait(false);
                }
                catch (RedisServerException)
                {
                }
                return false;
            }
            ReadOnlyMemory<byte> bytes = (RedisValue)reply;
            ReadRows(bytes.Span, page, c * RowsPerScript, rows, missing, texts);
        }
        return true;
    }

    /// <summary>As <see cref="ReadRowsAsync"/>, with one <c>HMGET</c> a trace (a cluster's, or scripts refused).</summary>
    private static async Task ReadHashesAsync(IDatabase db, IReadOnlyList<TraceSummary> page, TraceSummary?[] rows, List<string> missing)
    {
        var batch = db.CreateBatch();
        var hashes = page.Select(t => batch.HashGetAsync(SummaryKey(t.BaseId), SummaryFields)).ToArray();
        batch.Execute();
        for (var i = 0; i < page.Count; i++)
        {
            var h = await hashes[i].ConfigureAwait(false);
            if (h[2].IsNull) missing.Add(page[i].BaseId);
            else rows[i] = ToSummary(page[i].BaseId, h, page[i].Fields) with { Timestamp = page[i].Timestamp };
        }
    }

    /// <summary>
    /// Reads one reply of <c>SummaryRows.lua</c> (MessagePack), the rows of <c>page[start..]</c> as <see cref="ToSummary"/>
    /// makes them from an <c>HMGET</c>, with the page's own timestamp: a row for each summary into <paramref name="rows"/>,
    /// the base id of each trace without one into <paramref name="missing"/>.
    /// </summary>
    internal static void ReadRows(ReadOnlySpan<byte> reply, IReadOnlyList<TraceSummary> page, int start, TraceSummary?[] rows,
        List<string> missing, RowTexts texts)
    {
        var at = 0;
        var count = PackedReply.Array(reply, ref at, Script);
        if (count > page.Count - start) throw PackedReply.Unexpected(Script, reply, 0);
        for (var i = start; i < start + count; i++)
        {
            var listed = page[i];
            if (PackedReply.Array(reply, ref at, Script) != SummaryRowFields) throw PackedReply.Unexpected(Script, reply, at);
            var stop = Number(reply, PackedReply.String(reply, ref at, Script));
            var begin = PackedReply.String(reply, ref at, Script);
            var root = PackedReply.String(reply, ref at, Script);
            var operations = Number(reply, PackedReply.String(reply, ref at, Script));
            var error = Number(reply, PackedReply.String(reply, ref at, Script));
            var services = PackedReply.String(reply, ref at, Script);
            if (begin.Length < 0)
            {
                missing.Add(listed.BaseId);
                continue;
            }
            rows[i] = new TraceSummary(listed.BaseId, listed.Timestamp, listed.Fields)
            {
                DurationMs = (stop - Number(reply, begin)) / 1000.0,
                Root = root.Length < 0 ? null : texts.Root(reply.Slice(root.Start, root.Length)),
                Operations = (int)operations,
                Error = error == 1,
                Services = services.Length <= 0 ? [] : texts.Services(reply.Slice(services.Start, services.Length)),
            };
        }
    }

    private const string Script = "SummaryRows.lua";

    /// <summary>The fields <c>SummaryRows.lua</c> reads of each summary.</summary>
    private const int SummaryRowFields = 6;

    /// <summary>A number field of a <c>SummaryRows.lua</c> reply; as <see cref="ToSummary"/>, 0 when missing or unreadable.</summary>
    private static long Number(ReadOnlySpan<byte> reply, (int Start, int Length) field) =>
        field.Length > 0 && long.TryParse(reply.Slice(field.Start, field.Length), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : 0;

    /// <summary>
    /// The texts of a listing's rows, decoded once while they repeat: neighbouring traces mostly share their services
    /// and often their root operation.
    /// </summary>
    internal sealed class RowTexts
    {
        private byte[] _root = [];
        private string _rootText = "";
        private byte[] _services = [];
        private string[] _serviceList = [];

        /// <summary>The root operation's name.</summary>
        public string Root(ReadOnlySpan<byte> utf8)
        {
            if (!utf8.SequenceEqual(_root))
            {
                _root = utf8.ToArray();
                _rootText = Encoding.UTF8.GetString(utf8);
            }
            return _rootText;
        }

        /// <summary>The services, from their newline-separated list (not empty); the list is shared by the rows that repeat it.</summary>
        public string[] Services(ReadOnlySpan<byte> utf8)
        {
            if (!utf8.SequenceEqual(_services))
            {
                _services = utf8.ToArray();
                _serviceList = Encoding.UTF8.GetString(utf8).Split('\n');
            }
            return _serviceList;
        }
    }

    // ---- summarising what another writer stored ----------------------------------------------------------------

    /// <summary>Summarises trace lists that have no summary, unless the keyspace's size is the one last recorded.</summary>
    private async Task CatchUpAsync(IDatabase db, RedisKeyspace keyspace)
    {
        var size = await KeyspaceSizeAsync(db, keyspace).ConfigureAwait(false);
        var marker = await db.StringGetAsync(keyspace.Checked).ConfigureAwait(false);
        if (marker.TryParse(out long recorded) && recorded == size) return;
        var missing = await UnsummarisedAsync(db).ConfigureAwait(false);
        foreach (var chunk in missing.Chunk(SummariseChunk))
            await SummariseAsync(db, keyspace, chunk, "absent").ConfigureAwait(false);
        // The size measured before the look: a look that summarised something (or saw writes meanwhile) is repeated once.
        await db.StringSetAsync(keyspace.Checked, size).ConfigureAwait(false);
    }

    /// <summary>The number of keys (<c>DBSIZE</c>), summed over every primary of a cluster.</summary>
    private static async Task<long> KeyspaceSizeAsync(IDatabase db, RedisKeyspace keyspace)
    {
        if (!keyspace.Cluster) return (long)await db.ExecuteAsync("DBSIZE").ConfigureAwait(false);
        var sizes = (await RedisTopology.PrimariesAsync(db.Multiplexer).ConfigureAwait(false))
            .Select(s => s.ExecuteAsync("DBSIZE")).ToArray();
        long total = 0;
        foreach (var size in sizes) total += (long)await size.ConfigureAwait(false);
        return total;
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
    private async Task<Dictionary<string, TraceDigest>> SummariseAsync(IDatabase db, RedisKeyspace keyspace, IReadOnlyList<string> ids, string mode)
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
        {
            var calls = QueueSummarise(db, keyspace, [.. digests.Values], options.TtlSeconds, mode);
            await Task.WhenAll(calls).ConfigureAwait(false);
            await ApplyIndexWritesAsync(db, keyspace, calls).ConfigureAwait(false);
        }
        return digests;
    }

    /// <summary>Rebuilds every trace list's summary from its points; returns how many were summarised.</summary>
    public async Task<long> ReindexAsync(CancellationToken cancellationToken) =>
        await connection.RunAsync("reindex traces in", async db =>
        {
            var keyspace = RedisKeyspace.For(db.Multiplexer);
            var size = await KeyspaceSizeAsync(db, keyspace).ConfigureAwait(false);
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
                done += (await SummariseAsync(db, keyspace, chunk, "replace").ConfigureAwait(false)).Count;
            }
            await db.StringSetAsync(keyspace.Checked, size).ConfigureAwait(false);
            return done;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Queues the removal of deleted traces' summaries and index entries (<c>ForgetSummaries.lua</c>): one call on a
    /// single server, one per hash slot on a cluster (whose index writes go to <see cref="ApplyIndexWritesAsync"/>).
    /// </summary>
    public static Task<RedisResult>[] QueueForget(IDatabaseAsync db, RedisKeyspace keyspace, IReadOnlyList<string> ids)
    {
        if (!keyspace.Cluster) return [QueueForgetCall(db, keyspace, ids)];
        return [.. RedisTopology.BySlot(db.Multiplexer, cluster: true, ids, id => SummaryKey(id)).Select(group => QueueForgetCall(db, keyspace, group))];
    }

    private static Task<RedisResult> QueueForgetCall(IDatabaseAsync db, RedisKeyspace keyspace, IReadOnlyList<string> ids)
    {
        var keys = new RedisKey[ids.Count];
        var values = new RedisValue[4 + ids.Count];
        values[0] = keyspace.Cluster ? "back" : "here";
        values[1] = keyspace.StartIndex;
        values[2] = keyspace.DurationIndex;
        values[3] = keyspace.ErrorIndex;
        for (var i = 0; i < ids.Count; i++)
        {
            keys[i] = SummaryKey(ids[i]);
            values[4 + i] = ids[i];
        }
        return RedisScripts.Eval(db, RedisScripts.ForgetSummaries, keys, values);
    }
}
