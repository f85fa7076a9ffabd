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

internal sealed class JsonLinesStore(string folder, DriverSettings settings) : ITraceStore
{
    /// <summary>One writer at a time per process: appends to a trace's file must not interleave.</summary>
    private static readonly SemaphoreSlim Lock = new(1, 1);

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        await Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var group in points.GroupBy(p => p.BaseId))
            {
                if (!TracePointRules.IsSafeId(group.Key))
                    throw new FormatException(TracePointRules.IdError("base_id", group.Key));
                await File.AppendAllLinesAsync(FileOf(group.Key),
                    group.Select(p => Encoding.UTF8.GetString(TracePointJson.ToUtf8(WithHost(p), settings.Project, settings.Service))),
                    cancellationToken).ConfigureAwait(false);
            }
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
        var file = FileOf(baseId);
        if (!File.Exists(file)) yield break;
        await foreach (var line in File.ReadLinesAsync(file, cancellationToken).ConfigureAwait(false))
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

        var traces = new List<(TraceTimestamp Timestamp, string BaseId, JsonObject Earliest)>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.jsonl"))
        {
            var baseId = Path.GetFileNameWithoutExtension(file);
            if (!TracePointRules.IsSafeId(baseId)) continue;
            var summary = await SummarizeAsync(file, cancellationToken).ConfigureAwait(false);
            // D5: errors are found by reading the points, so FilterErrorTrace plays no part.
            if (summary is { } s && (!query.ErrorsOnly || s.HasError)) traces.Add((s.Timestamp, baseId, s.Earliest));
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
        return new TracePage(page, next);
    }

    /// <summary>D3: the earliest point is the one with the smallest timestamp; on a tie, the one stored (appended) first.</summary>
    private static async Task<(TraceTimestamp Timestamp, JsonObject Earliest, bool HasError)?> SummarizeAsync(string file, CancellationToken cancellationToken)
    {
        TraceTimestamp? earliest = null;
        JsonObject? earliestPoint = null;
        var hasError = false;
        await foreach (var line in File.ReadLinesAsync(file, cancellationToken).ConfigureAwait(false))
        {
            if (line.Length == 0) continue;
            var stored = StoredPoint.FromDocument(line);
            if (!stored.IsReadable) continue;
            hasError |= stored.ErrorType is not null && stored.Name.EndsWith("-stop", StringComparison.Ordinal);
            if (earliest is null || stored.Timestamp < earliest.Value)
            {
                earliest = stored.Timestamp;
                earliestPoint = JsonNode.Parse(line) as JsonObject;
            }
        }
        return earliest is null || earliestPoint is null ? null : (earliest.Value, earliestPoint, hasError);
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
