using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Profiler.Domain;

/// <summary>Reads and writes a <see cref="TracePoint"/> as OSProfiler's JSON document (docs/osprofiler-formats.md §1).</summary>
public static class TracePointJson
{
    /// <summary>Deepest nesting accepted inside a point.</summary>
    public const int MaxDepth = 64;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    /// <summary>
    /// Parses one point. Throws <see cref="FormatException"/> naming the field that is missing or of the
    /// wrong type, or saying why the text is not JSON. Values are not validated here
    /// (that is the <c>RecordTracePoints</c> validator's job).
    /// </summary>
    public static TracePoint Parse(ReadOnlySpan<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
            throw new FormatException("not valid UTF-8 text");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8, NodeOptions, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON ({e.Message.Split(" Path:")[0].TrimEnd('.')})", e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new FormatException("not valid UTF-8 JSON text", e);
        }
        return FromNode(node);
    }

    /// <summary>Parses one point from text; see <see cref="Parse(ReadOnlySpan{byte})"/>.</summary>
    public static TracePoint Parse(string json) => Parse(System.Text.Encoding.UTF8.GetBytes(json));

    /// <summary>Converts a parsed JSON object into a point; throws <see cref="FormatException"/> naming the bad field.</summary>
    public static TracePoint FromNode(JsonNode? node)
    {
        try
        {
            return Convert(node);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json refuses strings holding a lone UTF-16 surrogate ("\ud800") when read.
            throw new FormatException($"a string in the point is not valid Unicode text ({e.Message.TrimEnd('.')})", e);
        }
    }

    private static TracePoint Convert(JsonNode? node)
    {
        if (node is not JsonObject obj)
            throw new FormatException($"a point must be a JSON object, got {Kind(node)}");
        var info = obj.TryGetPropertyValue("info", out var i) ? i : null;
        if (info is not null and not JsonObject)
            throw new FormatException($"field 'info' must be an object or null, got {Kind(info)}");
        if (info is not null) obj.Remove("info");
        return new TracePoint
        {
            Name = RequiredString(obj, "name"),
            BaseId = RequiredString(obj, "base_id"),
            TraceId = RequiredString(obj, "trace_id"),
            ParentId = RequiredString(obj, "parent_id"),
            Timestamp = RequiredString(obj, "timestamp"),
            Info = (JsonObject?)info,
            Project = OptionalString(obj, "project"),
            Service = OptionalString(obj, "service"),
        };
    }

    // Property names encoded once: the writer copies their bytes instead of checking and transcoding them per point.
    private static readonly JsonEncodedText NameProperty = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText BaseIdProperty = JsonEncodedText.Encode("base_id");
    private static readonly JsonEncodedText TraceIdProperty = JsonEncodedText.Encode("trace_id");
    private static readonly JsonEncodedText ParentIdProperty = JsonEncodedText.Encode("parent_id");
    private static readonly JsonEncodedText TimestampProperty = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText InfoProperty = JsonEncodedText.Encode("info");
    private static readonly JsonEncodedText ProjectProperty = JsonEncodedText.Encode("project");
    private static readonly JsonEncodedText ServiceProperty = JsonEncodedText.Encode("service");

    /// <summary>
    /// Options of the writers this class creates: what <see cref="Write"/> writes is well-formed by construction, so the
    /// writer need not check the structure of every token (the bytes are the same either way).
    /// </summary>
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    private static readonly JsonEncodedText HostProperty = JsonEncodedText.Encode("host");

    /// <summary>
    /// Why <paramref name="point"/> cannot be written as a stored document (<see cref="Write"/>): the serializer's
    /// exception — a NaN or infinite number in <c>info</c>, a value whose serialization throws —, or null when it can.
    /// Tells a point's own fault from a store's after a write failed; <paramref name="scratch"/> keeps nothing
    /// (e.g. a writer over <see cref="Stream.Null"/>) and is reset before each point.
    /// </summary>
    /// <param name="scratch">A writer whose output is thrown away, reused across points.</param>
    /// <param name="point">The point to try.</param>
    public static Exception? WriteFailure(Utf8JsonWriter scratch, TracePoint point)
    {
        try
        {
            scratch.Reset();
            Write(scratch, point);
            scratch.Flush();
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return e;
        }
    }

    /// <summary>
    /// Writes the point as OSProfiler's stored document: name, base_id, trace_id, parent_id, timestamp,
    /// info, project, service. <paramref name="project"/>/<paramref name="service"/> are used where the point has none,
    /// and <paramref name="host"/> becomes <c>info.host</c> where the point's info has no <c>host</c>.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, TracePoint point, string? project = null, string? service = null, string? host = null)
    {
        writer.WriteStartObject();
        writer.WriteString(NameProperty, point.Name);
        writer.WriteString(BaseIdProperty, point.BaseId);
        writer.WriteString(TraceIdProperty, point.TraceId);
        writer.WriteString(ParentIdProperty, point.ParentId);
        writer.WriteString(TimestampProperty, point.Timestamp);
        writer.WritePropertyName(InfoProperty);
        if (host is not null && (point.Info is null || !point.Info.ContainsKey("host")))
        {
            // The point carries no host: the store's default fills it in, after the point's own keys.
            writer.WriteStartObject();
            if (point.Info is not null)
                foreach (var (key, value) in point.Info)
                {
                    writer.WritePropertyName(key);
                    if (value is null) writer.WriteNullValue();
                    else value.WriteTo(writer);
                }
            writer.WriteString(HostProperty, host);
            writer.WriteEndObject();
        }
        else if (point.Info is null)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
        else point.Info.WriteTo(writer);
        WriteNullable(writer, ProjectProperty, point.Project ?? project);
        WriteNullable(writer, ServiceProperty, point.Service ?? service);
        writer.WriteEndObject();
    }

    /// <summary>The point as UTF-8 JSON.</summary>
    public static byte[] ToUtf8(TracePoint point, string? project = null, string? service = null)
    {
        var (buffer, writer) = _scratch ??= NewScratch();
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        Write(writer, point, project, service);
        writer.Flush();
        var bytes = buffer.WrittenSpan.ToArray();
        // Keep the scratch buffer of an ordinary point, not that of an outsized one.
        if (buffer.Capacity > 1 << 16) _scratch = null;
        return bytes;
    }

    /// <summary>
    /// Appends each point as UTF-8 JSON to <paramref name="buffer"/> through one writer (no allocation per point) and
    /// returns where each one is, counted from the first byte this call writes: when the buffer was empty, the document
    /// of <c>points[i]</c> is <c>WrittenMemory[ranges[i]]</c>.
    /// </summary>
    public static Range[] WriteAll(IBufferWriter<byte> buffer, IReadOnlyList<TracePoint> points, string? project = null, string? service = null,
        string? host = null)
    {
        var ranges = new Range[points.Count];
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        var start = 0;
        for (var i = 0; i < points.Count; i++)
        {
            int end;
            if (TryWritePlain(buffer, points[i], project, service, host) is var plain and > 0) end = start + plain;
            else
            {
                Write(writer, points[i], project, service, host);
                writer.Flush();
                end = start + checked((int)writer.BytesCommitted);
                writer.Reset();
            }
            ranges[i] = new Range(start, end);
            start = end;
        }
        return ranges;
    }

    /// <summary>
    /// The characters <see cref="Utf8JsonWriter"/> (its default encoder) writes as they are: printable ASCII but
    /// <c>" \ &amp; ' + &lt; &gt; `</c>, which it writes as <c>\uXXXX</c> escapes (a test holds the two to the same bytes).
    /// </summary>
    private static readonly SearchValues<char> PlainChars =
        SearchValues.Create(" !#$%()*,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~");

    /// <summary>
    /// Room <see cref="TryWritePlain"/> asks the buffer for: the usual point's document fits; a longer one that does not
    /// fit what the buffer gives is written by <see cref="Write"/>.
    /// </summary>
    private const int PlainRoom = 1024;

    /// <summary>
    /// Writes the point as <see cref="Write"/> does, byte for byte, when every string of it is plain (only
    /// <see cref="PlainChars"/>) and its info, if any, is an object of string values built in code: the usual point of a
    /// notifier or a bench. Each string is then checked and narrowed to ASCII by one vectorised pass each, without the
    /// writer's per-value escaping and transcoding. Returns the bytes written, or 0 (nothing written) for any other
    /// point, which <see cref="Write"/> then writes.
    /// </summary>
    private static int TryWritePlain(IBufferWriter<byte> buffer, TracePoint point, string? project, string? service, string? host)
    {
        var info = point.Info;
        // The point's own host wins; the store's default fills in a point that carries none, after its own keys.
        var addHost = host is not null && (info is null || !info.ContainsKey("host"));
        var span = buffer.GetSpan(PlainRoom);
        var at = 0;
        if (!Raw(span, ref at, "{\"name\":\""u8) || !Text(span, ref at, point.Name)
            || !Raw(span, ref at, "\",\"base_id\":\""u8) || !Text(span, ref at, point.BaseId)
            || !Raw(span, ref at, "\",\"trace_id\":\""u8) || !Text(span, ref at, point.TraceId)
            || !Raw(span, ref at, "\",\"parent_id\":\""u8) || !Text(span, ref at, point.ParentId)
            || !Raw(span, ref at, "\",\"timestamp\":\""u8) || !Text(span, ref at, point.Timestamp)
            || !Raw(span, ref at, "\",\"info\":{"u8))
            return 0;
        // By index: the object's enumerator is an interface, a box a point.
        var count = info?.Count ?? 0;
        for (var k = 0; k < count; k++)
        {
            var (key, node) = info!.GetAt(k);
            // Only string values built in code; a parsed value (JsonElement) or any other kind is left to Write.
            if (node is not JsonValue value || value.TryGetValue<JsonElement>(out _) || !value.TryGetValue<string>(out var text)
                || !Raw(span, ref at, k == 0 ? "\""u8 : ",\""u8) || !Text(span, ref at, key)
                || !Raw(span, ref at, "\":\""u8) || !Text(span, ref at, text) || !Raw(span, ref at, "\""u8))
                return 0;
        }
        if (addHost && (!Raw(span, ref at, count == 0 ? "\"host\":\""u8 : ",\"host\":\""u8) || !Text(span, ref at, host) || !Raw(span, ref at, "\""u8)))
            return 0;
        if (!Raw(span, ref at, "},\"project\":"u8) || !Nullable(span, ref at, point.Project ?? project)
            || !Raw(span, ref at, ",\"service\":"u8) || !Nullable(span, ref at, point.Service ?? service)
            || !Raw(span, ref at, "}"u8))
            return 0;
        buffer.Advance(at);
        return at;

        static bool Raw(Span<byte> span, ref int at, ReadOnlySpan<byte> bytes)
        {
            if (!bytes.TryCopyTo(span[at..])) return false;
            at += bytes.Length;
            return true;
        }

        static bool Text(Span<byte> span, ref int at, string? text)
        {
            // A null string (which Write writes as null) is left to Write as well.
            if (text is null || text.AsSpan().ContainsAnyExcept(PlainChars) || text.Length > span.Length - at) return false;
            System.Text.Ascii.FromUtf16(text, span[at..], out var written);
            at += written;
            return true;
        }

        static bool Nullable(Span<byte> span, ref int at, string? text) =>
            text is null ? Raw(span, ref at, "null"u8) : Raw(span, ref at, "\""u8) && Text(span, ref at, text) && Raw(span, ref at, "\""u8);
    }

    [ThreadStatic] private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? _scratch;

    private static (ArrayBufferWriter<byte>, Utf8JsonWriter) NewScratch()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        return (buffer, new Utf8JsonWriter(buffer, WriterOptions));
    }

    /// <summary>The point's <c>info</c> as JSON text (<c>{}</c> when absent).</summary>
    public static string InfoJson(TracePoint point) => point.Info?.ToJsonString() ?? "{}";

    private static void WriteNullable(Utf8JsonWriter writer, JsonEncodedText name, string? value)
    {
        if (value is null) writer.WriteNull(name);
        else writer.WriteString(name, value);
    }

    private static string RequiredString(JsonObject obj, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null)
            throw new FormatException($"field '{field}' is missing");
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            return v.GetValue<string>();
        throw new FormatException($"field '{field}' must be a string, got {Kind(node)}");
    }

    private static string? OptionalString(JsonObject obj, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            return v.GetValue<string>();
        throw new FormatException($"field '{field}' must be a string or null, got {Kind(node)}");
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        },
    };
}
