using System.Text;
using System.Text.Json;

namespace Profiler.Domain;

/// <summary>
/// A trace point as a store gives it back for a report: the fields the report needs, and the stored
/// document itself (<see cref="RawPayload"/>, JSON text) that the report shows as
/// <c>meta.raw_payload.&lt;name&gt;</c>. A point the store could not read is <see cref="IsReadable"/> false.
/// </summary>
public sealed class StoredPoint
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    private StoredPoint() { }

    public string Name { get; private init; } = "";
    public string TraceId { get; private init; } = "";
    public string ParentId { get; private init; } = "";
    public TraceTimestamp Timestamp { get; private init; }
    public string? Project { get; private init; }
    public string? Service { get; private init; }
    /// <summary>The report's host: <c>info.host</c> for Redis, the <c>host</c> column for SQL.</summary>
    public string? Host { get; private init; }
    /// <summary>Whether the payload has an <c>info</c> object (OSProfiler only reads <c>etype</c> then).</summary>
    public bool HasInfo { get; private init; }
    /// <summary><c>info.etype</c> when it is a string.</summary>
    public string? ErrorType { get; private init; }
    /// <summary>The stored document as JSON text.</summary>
    public string RawPayload { get; private init; } = "{}";
    /// <summary>False for a stored point that is not valid JSON or lacks a required field.</summary>
    public bool IsReadable { get; private init; } = true;
    /// <summary>Why the point could not be read, for an unreadable point.</summary>
    public string? Problem { get; private init; }

    /// <summary>A point that could not be read; a report skips and counts it.</summary>
    public static StoredPoint Unreadable(string problem) => new() { IsReadable = false, Problem = problem };

    /// <summary>
    /// Reads a whole point document as Redis stores it (COMPAT §2). The host is <c>info.host</c>.
    /// Returns an unreadable point when the text is not JSON or lacks a field OSProfiler's reader needs.
    /// </summary>
    public static StoredPoint FromDocument(string json) => FromDocument(Encoding.UTF8.GetBytes(json), json);

    /// <summary>Reads a whole point document from UTF-8; see <see cref="FromDocument(string)"/>.</summary>
    public static StoredPoint FromDocument(ReadOnlySpan<byte> utf8, string? text = null)
    {
        string? name = null, traceId = null, parentId = null, timestamp = null, project = null, service = null;
        string? host = null, etype = null;
        var hasInfo = false;
        try
        {
            var reader = new Utf8JsonReader(utf8, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return Unreadable("not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var prop = reader.GetString();
                reader.Read();
                switch (prop)
                {
                    case "name": name = StringOrNull(ref reader); break;
                    case "trace_id": traceId = StringOrNull(ref reader); break;
                    case "parent_id": parentId = StringOrNull(ref reader); break;
                    case "timestamp": timestamp = StringOrNull(ref reader); break;
                    case "project": project = StringOrNull(ref reader); break;
                    case "service": service = StringOrNull(ref reader); break;
                    case "info":
                        if (reader.TokenType == JsonTokenType.StartObject)
                        {
                            hasInfo = true;
                            ReadInfo(ref reader, out host, out etype);
                        }
                        else reader.Skip();
                        break;
                    default: reader.Skip(); break;
                }
            }
            while (reader.Read()) { }
        }
        catch (JsonException e)
        {
            return Unreadable($"not valid JSON: {e.Message.Split(" Path:")[0]}");
        }
        catch (InvalidOperationException)
        {
            return Unreadable("not valid UTF-8 JSON text");
        }
        return Create(name, traceId, parentId, timestamp, project, service, host, hasInfo, etype,
            text ?? Encoding.UTF8.GetString(utf8));
    }

    /// <summary>
    /// Builds a point from SQL columns (COMPAT §3) and the decoded <c>data</c> column
    /// (<paramref name="dataJson"/>, a JSON object, usually <c>{"info": …}</c>), which becomes the raw payload.
    /// </summary>
    public static StoredPoint FromColumns(string? name, string? traceId, string? parentId, string? timestamp,
        string? project, string? service, string? host, string? dataJson)
    {
        var hasInfo = false;
        string? etype = null;
        dataJson ??= "{}";
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(dataJson), ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return Unreadable("column 'data' is not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var prop = reader.GetString();
                reader.Read();
                if (prop == "info" && reader.TokenType == JsonTokenType.StartObject)
                {
                    hasInfo = true;
                    ReadInfo(ref reader, out _, out etype);
                }
                else reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return Unreadable($"column 'data' is not valid JSON: {e.Message.Split(" Path:")[0]}");
        }
        return Create(name, traceId, parentId, timestamp, project, service, host, hasInfo, etype, dataJson);
    }

    private static StoredPoint Create(string? name, string? traceId, string? parentId, string? timestamp,
        string? project, string? service, string? host, bool hasInfo, string? etype, string raw)
    {
        if (name is null) return Unreadable("field 'name' is missing");
        if (traceId is null) return Unreadable("field 'trace_id' is missing");
        if (parentId is null) return Unreadable("field 'parent_id' is missing");
        if (timestamp is null) return Unreadable("field 'timestamp' is missing");
        if (!TraceTimestamp.TryParse(timestamp, out var ts))
            return Unreadable($"timestamp '{TraceTimestamp.Truncate(timestamp)}' does not parse");
        return new StoredPoint
        {
            Name = name, TraceId = traceId, ParentId = parentId, Timestamp = ts,
            Project = project, Service = service, Host = host, HasInfo = hasInfo, ErrorType = etype, RawPayload = raw,
        };
    }

    private static void ReadInfo(ref Utf8JsonReader reader, out string? host, out string? etype)
    {
        host = null;
        etype = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var prop = reader.GetString();
            reader.Read();
            if (prop == "host") host = StringOrNull(ref reader);
            else if (prop == "etype") etype = StringOrNull(ref reader);
            else reader.Skip();
        }
    }

    private static string? StringOrNull(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String) return reader.GetString();
        reader.Skip();
        return null;
    }
}
