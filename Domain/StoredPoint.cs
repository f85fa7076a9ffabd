using System.Text;
using System.Text.Json;

namespace Profiler.Domain;

/// <summary>
/// A trace point as a store gives it back for a report: the fields the report needs, and the stored
/// document itself (<see cref="RawPayloadUtf8"/>, JSON text) that the report shows as
/// <c>meta.raw_payload.&lt;name&gt;</c>. A point the store could not read is <see cref="IsReadable"/> false.
/// </summary>
/// <remarks>
/// Readers of large traces pass one <see cref="StringPool"/> for all points of a trace: the texts points repeat
/// (names, ids, project, service, host) are then held once, and the document is kept as the UTF-8 bytes it was
/// stored as, not as a UTF-16 copy.
/// </remarks>
public sealed class StoredPoint
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

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
    /// <summary>The stored document: JSON text in UTF-8, as stored.</summary>
    public ReadOnlyMemory<byte> RawPayloadUtf8 { get; private init; } = EmptyObject;
    /// <summary>The stored document as a string (decoded on each call: reports use <see cref="RawPayloadUtf8"/>).</summary>
    public string RawPayload => Encoding.UTF8.GetString(RawPayloadUtf8.Span);
    /// <summary>False for a stored point that is not valid JSON or lacks a required field.</summary>
    public bool IsReadable { get; private init; } = true;
    /// <summary>Why the point could not be read, for an unreadable point.</summary>
    public string? Problem { get; private init; }

    /// <summary>A point that could not be read; a report skips and counts it.</summary>
    public static StoredPoint Unreadable(string problem) => new() { IsReadable = false, Problem = problem };

    /// <summary>
    /// Reads a whole point document as Redis stores it (docs/osprofiler-formats.md §2). The host is <c>info.host</c>.
    /// Returns an unreadable point when the text is not JSON or lacks a field OSProfiler's reader needs.
    /// </summary>
    public static StoredPoint FromDocument(string json) => FromDocument(Encoding.UTF8.GetBytes(json), null);

    /// <summary>Reads a whole point document, its texts through <paramref name="pool"/>; see <see cref="FromDocument(string)"/>.</summary>
    public static StoredPoint FromDocument(string json, StringPool? pool) => FromDocument(Encoding.UTF8.GetBytes(json), pool);

    /// <summary>Reads a whole point document from UTF-8, copying the bytes; see <see cref="FromDocument(string)"/>.</summary>
    public static StoredPoint FromDocument(ReadOnlySpan<byte> utf8) => FromDocument(utf8.ToArray(), null);

    /// <summary>Reads a whole point document from UTF-8 (copied), its texts through <paramref name="pool"/>; see <see cref="FromDocument(string)"/>.</summary>
    public static StoredPoint FromDocument(ReadOnlySpan<byte> utf8, StringPool? pool) => FromDocument(utf8.ToArray(), pool);

    /// <summary>
    /// Reads a whole point document from UTF-8 and keeps <paramref name="utf8"/> itself as the raw payload (no copy:
    /// the caller hands the array over), its texts through <paramref name="pool"/> when given; see
    /// <see cref="FromDocument(string)"/>.
    /// </summary>
    public static StoredPoint FromDocument(byte[] utf8, StringPool? pool)
    {
        string? name = null, traceId = null, parentId = null, project = null, service = null, host = null, etype = null;
        var timestamp = default(TimestampField);
        var hasInfo = false;
        try
        {
            var reader = new Utf8JsonReader(utf8, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return Unreadable("not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Property names compared as UTF-8: no string per property.
                if (reader.ValueTextEquals("name"u8)) { reader.Read(); name = StringOrNull(ref reader, pool); }
                else if (reader.ValueTextEquals("trace_id"u8)) { reader.Read(); traceId = StringOrNull(ref reader, pool); }
                else if (reader.ValueTextEquals("parent_id"u8)) { reader.Read(); parentId = StringOrNull(ref reader, pool); }
                else if (reader.ValueTextEquals("timestamp"u8)) { reader.Read(); timestamp = ReadTimestamp(ref reader); }
                else if (reader.ValueTextEquals("project"u8)) { reader.Read(); project = StringOrNull(ref reader, pool); }
                else if (reader.ValueTextEquals("service"u8)) { reader.Read(); service = StringOrNull(ref reader, pool); }
                else if (reader.ValueTextEquals("info"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        hasInfo = true;
                        ReadInfo(ref reader, pool, out host, out etype);
                    }
                    else reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
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
        return Create(name, traceId, parentId, timestamp, project, service, host, hasInfo, etype, utf8);
    }

    /// <summary>
    /// Builds a point from SQL columns (docs/osprofiler-formats.md §3) and the decoded <c>data</c> column
    /// (<paramref name="dataJson"/>, a JSON object, usually <c>{"info": …}</c>), which becomes the raw payload.
    /// </summary>
    public static StoredPoint FromColumns(string? name, string? traceId, string? parentId, string? timestamp,
        string? project, string? service, string? host, string? dataJson) =>
        FromColumns(name, traceId, parentId, timestamp, project, service, host, dataJson, null);

    /// <summary>As <see cref="FromColumns(string?, string?, string?, string?, string?, string?, string?, string?)"/>, holding repeated texts once through <paramref name="pool"/>.</summary>
    public static StoredPoint FromColumns(string? name, string? traceId, string? parentId, string? timestamp,
        string? project, string? service, string? host, string? dataJson, StringPool? pool)
    {
        var hasInfo = false;
        string? etype = null;
        var data = dataJson is null ? EmptyObject : Encoding.UTF8.GetBytes(dataJson);
        try
        {
            var reader = new Utf8JsonReader(data, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return Unreadable("column 'data' is not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isInfo = reader.ValueTextEquals("info"u8);
                reader.Read();
                if (isInfo && reader.TokenType == JsonTokenType.StartObject)
                {
                    hasInfo = true;
                    ReadInfo(ref reader, pool, out _, out etype);
                }
                else reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return Unreadable($"column 'data' is not valid JSON: {e.Message.Split(" Path:")[0]}");
        }
        return Create(Pooled(name, pool), Pooled(traceId, pool), Pooled(parentId, pool), TimestampField.Of(timestamp),
            Pooled(project, pool), Pooled(service, pool), Pooled(host, pool), hasInfo, etype, data);
    }

    private static string? Pooled(string? text, StringPool? pool) => text is null || pool is null ? text : pool.Get(text);

    private static StoredPoint Create(string? name, string? traceId, string? parentId, TimestampField timestamp,
        string? project, string? service, string? host, bool hasInfo, string? etype, byte[] raw)
    {
        if (name is null) return Unreadable("field 'name' is missing");
        if (traceId is null) return Unreadable("field 'trace_id' is missing");
        if (parentId is null) return Unreadable("field 'parent_id' is missing");
        if (!timestamp.Present) return Unreadable("field 'timestamp' is missing");
        if (timestamp.Value is not { } ts)
            return Unreadable($"timestamp '{TraceTimestamp.Truncate(timestamp.Text)}' does not parse");
        return new StoredPoint
        {
            Name = name, TraceId = traceId, ParentId = parentId, Timestamp = ts,
            Project = project, Service = service, Host = host, HasInfo = hasInfo, ErrorType = etype, RawPayloadUtf8 = raw,
        };
    }

    /// <summary>A point's <c>timestamp</c> as read: absent, parsed, or present with the text that did not parse.</summary>
    private readonly record struct TimestampField(bool Present, TraceTimestamp? Value, string? Text)
    {
        public static TimestampField Of(string? text) =>
            text is null ? default : new(true, TraceTimestamp.TryParse(text, out var ts) ? ts : null, text);
    }

    /// <summary>Parses a string timestamp without allocating; anything else is present but unparsable.</summary>
    private static TimestampField ReadTimestamp(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return default;
        }
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.Length <= 32)
        {
            Span<char> chars = stackalloc char[32];
            var length = Encoding.UTF8.GetChars(reader.ValueSpan, chars);
            if (TraceTimestamp.TryParse(chars[..length], out var ts)) return new TimestampField(true, ts, null);
        }
        return TimestampField.Of(reader.GetString());
    }

    private static void ReadInfo(ref Utf8JsonReader reader, StringPool? pool, out string? host, out string? etype)
    {
        host = null;
        etype = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isHost = reader.ValueTextEquals("host"u8);
            var isEtype = !isHost && reader.ValueTextEquals("etype"u8);
            reader.Read();
            if (isHost) host = StringOrNull(ref reader, pool);
            else if (isEtype) etype = StringOrNull(ref reader, pool);
            else reader.Skip();
        }
    }

    private static string? StringOrNull(ref Utf8JsonReader reader, StringPool? pool)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }
        if (pool is null) return reader.GetString();
        return reader.ValueIsEscaped || reader.HasValueSequence ? pool.Get(reader.GetString()!) : pool.Get(reader.ValueSpan);
    }
}
