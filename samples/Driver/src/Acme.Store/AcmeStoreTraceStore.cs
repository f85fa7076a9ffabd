using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;

namespace Acme.Store;

/// <summary>
/// A store over one in-memory collector: each trace is the list of its points' JSON documents (as OSProfiler's Redis
/// collector keeps them), in the order they were stored. REPLACE the <see cref="Collector"/> with your backend:
/// writing appends documents, reading returns a trace's documents in stored order, listing finds each trace's
/// earliest point. The rules the contract suite checks are marked D1 (cursors), D3 (earliest point), D4 (host) and
/// D5 (errors listing).
/// </summary>
internal sealed class AcmeStoreTraceStore(AcmeStoreTraceStore.Collector collector, DriverSettings settings) : ITraceStore
{
    public Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(points);
        foreach (var p in points)
            if (!TracePointRules.IsSafeId(p.BaseId))
                throw new FormatException(TracePointRules.IdError("base_id", p.BaseId));
        // The driver's Project and Service fill in points that carry none.
        var traces = points.GroupBy(p => p.BaseId).Select(group => (group.Key,
            group.Select(p => Encoding.UTF8.GetString(TracePointJson.ToUtf8(WithHost(p), settings.Project, settings.Service))).ToList())).ToList();
        // Exactly once: the batch id is checked and recorded atomically with the write (REPLACE: in your backend's
        // transaction, script or conditional write); a batch already stored is not stored again.
        collector.Append(batchId, traces);
        return Task.CompletedTask;
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
        // An id that breaks the rules names no trace (and never becomes a pattern in a backend's query).
        if (!TracePointRules.IsSafeId(baseId)) yield break;
        foreach (var document in collector.Read(baseId))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return StoredPoint.FromDocument(document);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        // D1: the cursor is checked first, whether or not there is anything to list.
        var after = query.Cursor is null ? ((TraceTimestamp, string)?)null : Cursor.Parse(query.Cursor);

        // REPLACE: a real backend answers this with a query (newest first, after the cursor, limit + 1 rows) instead
        // of reading every trace.
        var traces = new List<(TraceTimestamp Timestamp, string BaseId, JsonObject Earliest)>();
        foreach (var (baseId, documents) in collector.All())
        {
            cancellationToken.ThrowIfCancellationRequested();
            // D5: errors are found by reading the points, so FilterErrorTrace plays no part.
            if (Summarize(documents) is { } s && (!query.ErrorsOnly || s.HasError)) traces.Add((s.Timestamp, baseId, s.Earliest));
        }

        // Newest first; equal timestamps by base id, descending, so that (timestamp, base id) orders every trace.
        var ordered = traces
            .OrderByDescending(t => t.Timestamp).ThenByDescending(t => t.BaseId, StringComparer.Ordinal)
            .Where(t => after is not { } a || t.Timestamp < a.Item1 || (t.Timestamp == a.Item1 && string.CompareOrdinal(t.BaseId, a.Item2) < 0))
            .Take(query.Limit + 1).ToList();
        var page = ordered.Take(query.Limit)
            .Select(t => new TraceSummary(t.BaseId, t.Timestamp.ToString(), Fields(query.Fields, t.BaseId, t.Timestamp, t.Earliest)))
            .ToList();
        var next = ordered.Count > query.Limit ? Cursor.Make(ordered[query.Limit - 1].Timestamp, ordered[query.Limit - 1].BaseId) : null;
        return Task.FromResult(new TracePage(page, next));
    }

    /// <summary>
    /// D3: the earliest point is the one with the smallest timestamp; on a tie, the one stored first. A trace holds an
    /// error when one of its <c>-stop</c> points carries an error type.
    /// </summary>
    private static (TraceTimestamp Timestamp, JsonObject Earliest, bool HasError)? Summarize(IReadOnlyList<string> documents)
    {
        TraceTimestamp? earliest = null;
        JsonObject? earliestPoint = null;
        var hasError = false;
        foreach (var document in documents)
        {
            var stored = StoredPoint.FromDocument(document);
            if (!stored.IsReadable) continue;
            hasError |= stored.ErrorType is not null && stored.Name.EndsWith("-stop", StringComparison.Ordinal);
            // Strictly smaller: on equal timestamps the point stored first stays the earliest.
            if (earliest is null || stored.Timestamp < earliest.Value)
            {
                earliest = stored.Timestamp;
                earliestPoint = JsonNode.Parse(document) as JsonObject;
            }
        }
        return earliest is null || earliestPoint is null ? null : (earliest.Value, earliestPoint, hasError);
    }

    /// <summary>The requested fields, from the trace's earliest point; a field the point lacks is null.</summary>
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

    /// <summary>REPLACE: close your backend's connections here.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// The skeleton's backend: the traces of one named collector, kept in memory for the life of the process (every
    /// store opened on the same name shares them). REPLACE it with your database, service or files.
    /// </summary>
    internal sealed class Collector
    {
        private static readonly ConcurrentDictionary<string, Collector> Collectors = new(StringComparer.Ordinal);

        private readonly Lock _lock = new();
        private readonly Dictionary<string, List<string>> _traces = new(StringComparer.Ordinal);
        private readonly HashSet<Guid> _batches = [];

        public static Collector Named(string name) => Collectors.GetOrAdd(name, _ => new Collector());

        /// <summary>
        /// Appends a batch's documents to their traces unless a batch with <paramref name="batchId"/> was appended
        /// before; concurrent writers lose none and interleave none within a call.
        /// </summary>
        public void Append(Guid batchId, IEnumerable<(string BaseId, List<string> Documents)> traces)
        {
            lock (_lock)
            {
                if (!_batches.Add(batchId)) return;
                foreach (var (baseId, documents) in traces)
                {
                    if (!_traces.TryGetValue(baseId, out var trace)) _traces[baseId] = trace = [];
                    trace.AddRange(documents);
                }
            }
        }

        /// <summary>A trace's documents in stored order; none for an unknown trace.</summary>
        public IReadOnlyList<string> Read(string baseId)
        {
            lock (_lock) return _traces.TryGetValue(baseId, out var trace) ? [.. trace] : [];
        }

        /// <summary>A snapshot of every trace.</summary>
        public IReadOnlyList<(string BaseId, IReadOnlyList<string> Documents)> All()
        {
            lock (_lock) return [.. _traces.Select(t => (t.Key, (IReadOnlyList<string>)[.. t.Value]))];
        }
    }
}
