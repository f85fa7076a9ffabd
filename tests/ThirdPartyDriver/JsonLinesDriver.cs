using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;

namespace ThirdPartyDriver;

/// <summary>
/// <c>jsonl:///relative/folder</c> or <c>jsonl:////absolute/folder</c>: one JSON Lines file per trace, each line a
/// whole point document (as Redis stores it). A small store written the way an outside author writes a driver, that
/// passes the whole driver contract suite.
/// </summary>
public sealed class JsonLinesDriver : ITraceStoreDriver
{
    /// <inheritdoc />
    public string Name => "jsonl";

    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = ["jsonl"];

    /// <inheritdoc />
    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrEmpty(connectionString.Path))
            throw new FormatException(
                $"Connection string '{connectionString}' names no folder: use jsonl:///relative/folder or jsonl:////absolute/folder.");
        return new JsonLinesStore(Path.GetFullPath(connectionString.Path), settings);
    }
}

/// <summary>
/// The store, with every optional capability of the contract: deleting (<see cref="ITraceStoreCleanup"/>), pinning
/// (a <c>&lt;base id&gt;.pin</c> marker file beside the trace's file), pruning and statistics. A small reference for
/// driver authors: correct, not fast (pruning and statistics read every file).
/// </summary>
internal sealed class JsonLinesStore(string folder, DriverSettings settings)
    : ITraceStore, ITraceStoreCleanup, ITraceStorePinning, ITraceStorePruning, ITraceStoreStatistics, ITraceStoreSearch
{
    /// <summary>One writer at a time per process: appends to a trace's file must not interleave.</summary>
    private static readonly SemaphoreSlim Lock = new(1, 1);

    /// <summary>
    /// Exactly once: a batch leaves a marker file <c>.batches/&lt;batch id&gt;</c>, created with
    /// <see cref="FileMode.CreateNew"/> (atomic: of two writers of one id, in any process, one creates it) before the
    /// points are appended; a batch whose marker exists is not written again. When the append fails the marker is
    /// removed, so a retry writes the batch. Markers older than a day are deleted by the next write.
    /// </summary>
    public async Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(points);
        foreach (var p in points)
            if (!TracePointRules.IsSafeId(p.BaseId))
                throw new FormatException(TracePointRules.IdError("base_id", p.BaseId));
        var batches = Path.Combine(folder, ".batches");
        Directory.CreateDirectory(batches);
        await Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var marker = Path.Combine(batches, batchId.ToString("N"));
        try
        {
            try
            {
                await using (new FileStream(marker, FileMode.CreateNew, FileAccess.Write)) { }
            }
            catch (IOException) when (File.Exists(marker))
            {
                return;
            }
            try
            {
                foreach (var group in points.GroupBy(p => p.BaseId))
                    await File.AppendAllLinesAsync(FileOf(group.Key),
                        group.Select(p => Encoding.UTF8.GetString(TracePointJson.ToUtf8(WithHost(p), settings.Project, settings.Service))),
                        cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                File.Delete(marker);
                throw;
            }
            foreach (var old in new DirectoryInfo(batches).EnumerateFiles().Where(f => f.LastWriteTimeUtc < DateTime.UtcNow.AddDays(-1)))
                old.Delete();
        }
        finally
        {
            Lock.Release();
        }
    }

    /// <summary>D4: the point's own <c>info.host</c> wins; <see cref="DriverSettings.Host"/> fills in a point that has none.</summary>
    private TracePoint WithHost(TracePoint p)
    {
        if (p.Host is not null || settings.Host is null) return p;
        var info = p.Info?.DeepClone().AsObject() ?? [];
        info["host"] = settings.Host;
        return new TracePoint
        {
            Name = p.Name, BaseId = p.BaseId, TraceId = p.TraceId, ParentId = p.ParentId, Timestamp = p.Timestamp,
            Info = info, Project = p.Project, Service = p.Service,
        };
    }

    public async IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!TracePointRules.IsSafeId(baseId)) yield break;
        await foreach (var line in LinesOf(FileOf(baseId), cancellationToken).ConfigureAwait(false))
            if (line.Length > 0)
                yield return StoredPoint.FromDocument(line);
    }

    public async Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        // D1: the cursor is checked first, whether or not there is anything to list.
        var after = query.Cursor is null ? ((TraceTimestamp, string)?)null : Cursor.Parse(query.Cursor);
        if (!Directory.Exists(folder)) return new TracePage([], null);

        var traces = await MatchesAsync(query, cancellationToken).ConfigureAwait(false);

        // Newest first; equal timestamps by base id, descending, so that (timestamp, base id) orders every trace.
        var ordered = traces
            .OrderByDescending(t => t.Timestamp).ThenByDescending(t => t.BaseId, StringComparer.Ordinal)
            .Where(t => after is not { } a || t.Timestamp < a.Item1 || (t.Timestamp == a.Item1 && string.CompareOrdinal(t.BaseId, a.Item2) < 0))
            .Take(query.Limit + 1).ToList();
        var page = ordered.Take(query.Limit)
            .Select(t => t.Digest.ToSummary(Fields(query.Fields, t.BaseId, t.Timestamp, t.Earliest)) with { Timestamp = t.Timestamp.ToString() })
            .ToList();
        var next = ordered.Count > query.Limit ? Cursor.Make(ordered[query.Limit - 1].Timestamp, ordered[query.Limit - 1].BaseId) : null;
        return new TracePage(page, next);
    }

    /// <summary>
    /// The traces the query's errors-only flag and filter keep (<see cref="ITraceStoreSearch"/>): every file is read and
    /// summarised with <see cref="TraceDigest"/>, then <see cref="TraceFilter.Matches"/> decides. Correct, not fast: a
    /// driver over a real database would keep the digests beside the points and filter on indexes.
    /// </summary>
    private async Task<List<(TraceTimestamp Timestamp, string BaseId, JsonObject Earliest, TraceDigest Digest)>> MatchesAsync(
        TraceListQuery query, CancellationToken cancellationToken)
    {
        var traces = new List<(TraceTimestamp, string, JsonObject, TraceDigest)>();
        if (!Directory.Exists(folder)) return traces;
        foreach (var file in Directory.EnumerateFiles(folder, "*.jsonl"))
        {
            var baseId = Path.GetFileNameWithoutExtension(file);
            if (!TracePointRules.IsSafeId(baseId)) continue;
            var summary = await SummarizeAsync(baseId, file, cancellationToken).ConfigureAwait(false);
            // D5: errors are found by reading the points, so FilterErrorTrace plays no part.
            if (summary is { } s && (!query.ErrorsOnly || s.HasError) && (query.Filter is null || query.Filter.Matches(s.Digest)))
                traces.Add((s.Timestamp, baseId, s.Earliest, s.Digest));
        }
        return traces;
    }

    public async Task<long> CountTracesAsync(TraceListQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return (await MatchesAsync(query, cancellationToken).ConfigureAwait(false)).Count;
    }

    /// <summary>Nothing is kept between calls: every search reads the points, so there is nothing to rebuild.</summary>
    public Task<long> ReindexAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Directory.Exists(folder) ? (long)Directory.EnumerateFiles(folder, "*.jsonl").Count() : 0L);

    /// <summary>D3: the earliest point is the one with the smallest timestamp; on a tie, the one stored (appended) first.</summary>
    private static async Task<(TraceTimestamp Timestamp, JsonObject Earliest, bool HasError, TraceDigest Digest)?> SummarizeAsync(
        string baseId, string file, CancellationToken cancellationToken)
    {
        TraceTimestamp? earliest = null;
        JsonObject? earliestPoint = null;
        var hasError = false;
        var digest = new TraceDigest(baseId);
        await foreach (var line in LinesOf(file, cancellationToken).ConfigureAwait(false))
        {
            if (line.Length == 0) continue;
            var stored = StoredPoint.FromDocument(line);
            if (!stored.IsReadable) continue;
            digest.Add(stored);
            hasError |= stored.ErrorType is not null && stored.Name.EndsWith("-stop", StringComparison.Ordinal);
            if (earliest is null || stored.Timestamp < earliest.Value)
            {
                earliest = stored.Timestamp;
                earliestPoint = JsonNode.Parse(line) as JsonObject;
            }
        }
        return earliest is null || earliestPoint is null ? null : (earliest.Value, earliestPoint, hasError, digest);
    }

    private static Dictionary<string, string?> Fields(IReadOnlyList<string> names, string baseId, TraceTimestamp timestamp, JsonObject point)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in names)
            fields[name] = name switch
            {
                "base_id" => baseId,
                "timestamp" => timestamp.ToString(),
                "host" => Text(point["info"]?["host"]),
                _ => Text(point[name]),
            };
        return fields;
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public async Task<int> DeleteTracesAsync(IReadOnlyList<string> baseIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(baseIds);
        await Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var deleted = 0;
            foreach (var baseId in baseIds.Distinct(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!TracePointRules.IsSafeId(baseId)) continue;
                File.Delete(PinOf(baseId));
                if (!File.Exists(FileOf(baseId))) continue;
                File.Delete(FileOf(baseId));
                deleted++;
            }
            return deleted;
        }
        finally
        {
            Lock.Release();
        }
    }

    public async Task<bool> SetPinnedAsync(string baseId, bool pinned, CancellationToken cancellationToken)
    {
        if (!TracePointRules.IsSafeId(baseId)) return false;
        await Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!File.Exists(FileOf(baseId))) return false;
            if (pinned) await File.WriteAllTextAsync(PinOf(baseId), "", cancellationToken).ConfigureAwait(false);
            else File.Delete(PinOf(baseId));
            return true;
        }
        finally
        {
            Lock.Release();
        }
    }

    public Task<IReadOnlyList<string>> ListPinnedAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> pinned = !Directory.Exists(folder) ? [] : Directory.EnumerateFiles(folder, "*.pin")
            .Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Where(id => TracePointRules.IsSafeId(id) && File.Exists(FileOf(id))).ToList();
        return Task.FromResult(pinned);
    }

    /// <summary>Trace by trace (each a bounded unit of work): a trace whose newest point is before the cutoff goes, unless pinned.</summary>
    public async Task<PruneResult> PruneAsync(DateTime cutoff, bool dryRun, CancellationToken cancellationToken)
    {
        var before = TraceTimestamp.FromDateTime(cutoff.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(cutoff, DateTimeKind.Utc) : cutoff.ToUniversalTime());
        long traces = 0, points = 0;
        if (!Directory.Exists(folder)) return new PruneResult(0, 0);
        foreach (var file in Directory.EnumerateFiles(folder, "*.jsonl").ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var baseId = Path.GetFileNameWithoutExtension(file);
            if (!TracePointRules.IsSafeId(baseId) || File.Exists(PinOf(baseId))) continue;
            await Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Read under the lock: a point appended meanwhile must not be deleted unseen.
                if (!File.Exists(file)) continue;
                var (count, _, newest) = await ScanAsync(file, cancellationToken).ConfigureAwait(false);
                if (newest is not { } n || n >= before) continue;
                traces++;
                points += count;
                if (!dryRun) File.Delete(file);
            }
            finally
            {
                Lock.Release();
            }
        }
        return new PruneResult(traces, points);
    }

    public async Task<TraceStoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken)
    {
        long traces = 0, points = 0, bytes = 0;
        TraceTimestamp? oldest = null, newest = null;
        if (Directory.Exists(folder))
            foreach (var file in Directory.EnumerateFiles(folder, "*.jsonl"))
            {
                if (!TracePointRules.IsSafeId(Path.GetFileNameWithoutExtension(file))) continue;
                var (count, first, last) = await ScanAsync(file, cancellationToken).ConfigureAwait(false);
                if (count == 0) continue;
                traces++;
                points += count;
                var info = new FileInfo(file);
                bytes += info.Exists ? info.Length : 0;
                if (first is { } f && (oldest is null || f < oldest.Value)) oldest = f;
                if (last is { } l && (newest is null || l > newest.Value)) newest = l;
            }
        var pinned = (await ListPinnedAsync(cancellationToken).ConfigureAwait(false)).Count;
        return new TraceStoreStatistics(traces, points, oldest?.ToString(), newest?.ToString(), bytes, pinned);
    }

    /// <summary>A trace file's points, and its oldest and newest readable point's timestamp.</summary>
    private static async Task<(long Points, TraceTimestamp? Oldest, TraceTimestamp? Newest)> ScanAsync(string file, CancellationToken cancellationToken)
    {
        long count = 0;
        TraceTimestamp? oldest = null, newest = null;
        await foreach (var line in LinesOf(file, cancellationToken).ConfigureAwait(false))
        {
            if (line.Length == 0) continue;
            count++;
            var stored = StoredPoint.FromDocument(line);
            if (!stored.IsReadable) continue;
            if (oldest is null || stored.Timestamp < oldest.Value) oldest = stored.Timestamp;
            if (newest is null || stored.Timestamp > newest.Value) newest = stored.Timestamp;
        }
        return (count, oldest, newest);
    }

    /// <summary>
    /// A trace file's lines; none when the file is gone. Listing, statistics and reading run beside pruning and deleting
    /// (which take the write lock, readers do not): a file enumerated a moment ago may be deleted before it is opened,
    /// and that trace is then simply no longer there, not a failed read.
    /// </summary>
    private static async IAsyncEnumerable<string> LinesOf(string file, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StreamReader? reader = null;
        try
        {
            reader = new StreamReader(file, Encoding.UTF8);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
        }
        if (reader is null) yield break;
        using (reader)
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                yield return line;
    }

    private string PinOf(string baseId) => Path.Combine(folder, baseId + ".pin");

    private string FileOf(string baseId) => Path.Combine(folder, baseId + ".jsonl");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// D1: the listing cursor, opaque to callers, made and checked by the contract's <see cref="TraceListCursor"/>: anything
/// this driver did not give out (garbage, another driver's cursor, a tampered one) is a <see cref="FormatException"/>.
/// </summary>
internal static class Cursor
{
    private const string Driver = "jsonl";

    public static string Make(TraceTimestamp timestamp, string baseId) => TraceListCursor.Create(Driver, timestamp.ToString(), baseId);

    public static (TraceTimestamp, string) Parse(string cursor)
    {
        var (position, baseId) = TraceListCursor.Parse(Driver, cursor);
        return TraceTimestamp.TryParse(position, out var timestamp) && TracePointRules.IsSafeId(baseId)
            ? (timestamp, baseId)
            : throw TraceListCursor.NotGivenOut(Driver, cursor);
    }
}
