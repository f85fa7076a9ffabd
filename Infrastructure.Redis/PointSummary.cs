using System.Text.Json;
using Profiler.Domain;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// The fields a listing shows, read from a stored point document without building it: the top-level ids, names and
/// the timestamp as stored, and <c>info.host</c>.
/// </summary>
internal sealed class PointSummary
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    /// <summary>Sort key of a point whose timestamp is missing or does not parse: after every real time.</summary>
    public const long NoTime = -1;

    public string? BaseId { get; private set; }
    public string? Name { get; private set; }
    public string? TraceId { get; private set; }
    public string? ParentId { get; private set; }
    public string? Timestamp { get; private set; }
    public string? Project { get; private set; }
    public string? Service { get; private set; }
    public string? Host { get; private set; }

    /// <summary>Ticks of <see cref="Timestamp"/>, or <see cref="NoTime"/>.</summary>
    public long Ticks { get; private set; } = NoTime;

    /// <summary>The value of a listing field (<see cref="Profiler.Storage.TraceFields.Allowed"/>).</summary>
    public string? Field(string field) => field switch
    {
        "base_id" => BaseId,
        "timestamp" => Timestamp,
        "name" => Name,
        "trace_id" => TraceId,
        "parent_id" => ParentId,
        "project" => Project,
        "service" => Service,
        "host" => Host,
        _ => null,
    };

    /// <summary>
    /// Reads a point document; null when it is not a JSON object. Unless <paramref name="allFields"/>, only
    /// <c>base_id</c> and <c>timestamp</c> are read (what ordering a listing needs), and reading stops once both are
    /// found: the rest of the document is not checked.
    /// </summary>
    public static PointSummary? Read(ReadOnlySpan<byte> utf8, bool allFields = true)
    {
        if (utf8.IsEmpty) return null;
        var summary = new PointSummary();
        try
        {
            var reader = new Utf8JsonReader(utf8, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = Which(ref reader);
                reader.Read();
                if (!allFields && property is not (0 or 4)) property = -1;
                switch (property)
                {
                    case 0: summary.BaseId = StringOrNull(ref reader); break;
                    case 1: summary.Name = StringOrNull(ref reader); break;
                    case 2: summary.TraceId = StringOrNull(ref reader); break;
                    case 3: summary.ParentId = StringOrNull(ref reader); break;
                    case 4: summary.Timestamp = StringOrNull(ref reader); break;
                    case 5: summary.Project = StringOrNull(ref reader); break;
                    case 6: summary.Service = StringOrNull(ref reader); break;
                    case 7 when reader.TokenType == JsonTokenType.StartObject:
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var isHost = reader.ValueTextEquals("host"u8);
                            reader.Read();
                            if (isHost) summary.Host = StringOrNull(ref reader);
                            else reader.Skip();
                        }
                        break;
                    default: reader.Skip(); break;
                }
                // Ordering needs only these two, and both precede the bulky info in every writer's documents.
                if (!allFields && summary.Timestamp is not null && summary.BaseId is not null) break;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string holding invalid UTF-8 or a lone surrogate escape.
            return null;
        }
        if (summary.Timestamp is not null && TraceTimestamp.TryParse(summary.Timestamp, out var ts))
            summary.Ticks = ts.Ticks;
        return summary;
    }

    /// <summary>A summary holding only a timestamp (null: none).</summary>
    public static PointSummary FromTimestamp(string? timestamp)
    {
        var summary = new PointSummary { Timestamp = timestamp };
        if (timestamp is not null && TraceTimestamp.TryParse(timestamp, out var ts)) summary.Ticks = ts.Ticks;
        return summary;
    }

    /// <summary>A summary of an error-index record <c>{"base_id": …, "timestamp": …}</c> when its trace has no list.</summary>
    public static PointSummary FromErrorRecord(string baseId, ReadOnlySpan<byte> utf8)
    {
        var record = Read(utf8) ?? new PointSummary();
        return new PointSummary { BaseId = baseId, Timestamp = record.Timestamp, Ticks = record.Ticks };
    }

    private static int Which(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("base_id"u8) ? 0
        : reader.ValueTextEquals("name"u8) ? 1
        : reader.ValueTextEquals("trace_id"u8) ? 2
        : reader.ValueTextEquals("parent_id"u8) ? 3
        : reader.ValueTextEquals("timestamp"u8) ? 4
        : reader.ValueTextEquals("project"u8) ? 5
        : reader.ValueTextEquals("service"u8) ? 6
        : reader.ValueTextEquals("info"u8) ? 7
        : -1;

    private static string? StringOrNull(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String) return reader.GetString();
        reader.Skip();
        return null;
    }
}
