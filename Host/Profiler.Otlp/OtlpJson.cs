using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using Profiler.Domain;

namespace Profiler.Otlp;

/// <summary>
/// OTLP/JSON (the OTLP specification's JSON encoding, also the OpenTelemetry Collector file exporter's format): the
/// protobuf JSON mapping with lowerCamelCase names, enums as integers, 64-bit integers as decimal strings, and — unlike
/// protobuf's own mapping — trace and span ids as hexadecimal text instead of base64.
/// </summary>
public static class OtlpJson
{
    /// <summary>Deepest nesting accepted in a body: 256 levels (attribute values themselves stop at <see cref="OtlpValues.MaxDepth"/>).</summary>
    public const int MaxDepth = 256;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true).WithRecursionLimit(MaxDepth));
    private static readonly JsonFormatter Formatter = new(new JsonFormatter.Settings(formatDefaultValues: false).WithFormatEnumsAsIntegers(true));

    /// <summary>
    /// Reads a <c>TracesData</c> (one line of an OTLP/JSON file). Accepts the original snake_case names too, and ignores
    /// unknown fields, as the specification asks of receivers. Throws <see cref="FormatException"/> saying what is
    /// wrong (not JSON, not an object, an id that is not hexadecimal, a field of the wrong type).
    /// </summary>
    public static TracesData ParseTracesData(ReadOnlySpan<byte> utf8) => Parse<TracesData>(utf8);

    /// <summary>Reads a <c>TracesData</c> from text; see <see cref="ParseTracesData(ReadOnlySpan{byte})"/>.</summary>
    public static TracesData ParseTracesData(string json) => Parse<TracesData>(Encoding.UTF8.GetBytes(json));

    /// <summary>
    /// Reads a line that may hold a <c>TracesData</c> among lines of other JSON (<c>profiler trace import</c>): null when
    /// it is not one (not a JSON object with <c>resourceSpans</c> or <c>resource_spans</c>), so the caller reads it as
    /// something else; otherwise as <see cref="ParseTracesData(string)"/>, throwing <see cref="FormatException"/> for a
    /// malformed one. The text is parsed once for both.
    /// </summary>
    public static TracesData? ParseTracesDataLine(string line)
    {
        if (!line.Contains("resourceSpans", StringComparison.Ordinal) && !line.Contains("resource_spans", StringComparison.Ordinal)) return null;
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(line, documentOptions: DocumentOptions);
        }
        catch (JsonException)
        {
            return null;
        }
        return root is JsonObject obj && (obj.ContainsKey("resourceSpans") || obj.ContainsKey("resource_spans")) ? FromObject<TracesData>(obj) : null;
    }

    /// <summary>Reads an <c>ExportTraceServiceRequest</c> (an OTLP/HTTP JSON body); see <see cref="ParseTracesData(ReadOnlySpan{byte})"/>.</summary>
    public static ExportTraceServiceRequest ParseExportRequest(ReadOnlySpan<byte> utf8) => Parse<ExportTraceServiceRequest>(utf8);

    private static T Parse<T>(ReadOnlySpan<byte> utf8) where T : IMessage, new()
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8)) throw new FormatException("the body is not valid UTF-8 text");
        if (utf8.StartsWith(Encoding.UTF8.Preamble)) utf8 = utf8[Encoding.UTF8.Preamble.Length..];
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(utf8, documentOptions: DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd('.', ' ')}", e);
        }
        if (root is not JsonObject obj)
            throw new FormatException($"OTLP/JSON must be an object with resourceSpans, got {(root is null ? "null" : root.GetValueKind().ToString().ToLowerInvariant())}");
        return FromObject<T>(obj);
    }

    /// <summary>The message in a parsed OTLP/JSON object (its hex ids turned into protobuf's base64 on the way).</summary>
    private static T FromObject<T>(JsonObject obj) where T : IMessage, new()
    {
        try
        {
            foreach (var rs in Items(obj, "resourceSpans", "resource_spans"))
            foreach (var ss in Items(rs, "scopeSpans", "scope_spans"))
            foreach (var span in Items(ss, "spans", "spans"))
            {
                HexToBase64(span, "traceId", "trace_id");
                HexToBase64(span, "spanId", "span_id");
                HexToBase64(span, "parentSpanId", "parent_span_id");
                foreach (var link in Items(span, "links", "links"))
                {
                    HexToBase64(link, "traceId", "trace_id");
                    HexToBase64(link, "spanId", "span_id");
                }
            }
            return Parser.Parse<T>(obj.ToJsonString());
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new FormatException($"not OTLP/JSON: {e.Message.TrimEnd('.')}", e);
        }
        catch (InvalidOperationException e)
        {
            // A string System.Text.Json cannot read: a lone UTF-16 surrogate (an escape such as "\ud83d" without its
            // other half), which no store could write either. Name where it is.
            if (InvalidString(obj, "") is { } at)
                throw new FormatException(
                    $"not OTLP/JSON: {at.Path} {at.Raw} holds a lone UTF-16 surrogate (an escape \\uD800-\\uDFFF without its other half): " +
                    "strings must be valid Unicode text; write a character outside the BMP as a surrogate pair (e.g. \\ud83d\\ude00) or as UTF-8", e);
            throw new FormatException($"not OTLP/JSON: {e.Message.TrimEnd('.')}", e);
        }
        catch (IOException e)
        {
            // Google.Protobuf's InvalidJsonException.
            throw new FormatException($"not OTLP/JSON: {e.Message.TrimEnd('.')}", e);
        }
    }

    /// <summary>The path (e.g. <c>resourceSpans[0].scopeSpans[0].spans[1].attributes[0].value.stringValue</c>) and text of the first key or string that cannot be read; null when all can.</summary>
    private static (string Path, string Raw)? InvalidString(JsonNode? node, string path) =>
        JsonText.FirstLoneSurrogate(node, path) switch
        {
            null => null,
            { InKey: true } p => (p.Path.Length == 0 ? "a key" : $"a key in {p.Path}", ""),
            var p => (p.Value.Path, Shorten(p.Value.Raw ?? p.Value.Text ?? "")),
        };

    private static IEnumerable<JsonObject> Items(JsonNode? parent, string name, string snake)
    {
        if (parent is not JsonObject obj) yield break;
        var value = obj[name] ?? obj[snake];
        if (value is not JsonArray array) yield break;
        foreach (var item in array)
            if (item is JsonObject child) yield return child;
    }

    private static void HexToBase64(JsonObject obj, string name, string snake)
    {
        var key = obj.ContainsKey(name) ? name : obj.ContainsKey(snake) ? snake : null;
        if (key is null || obj[key] is not JsonValue value || value.GetValueKind() != JsonValueKind.String) return;
        var hex = value.GetValue<string>();
        if (hex.Length % 2 != 0 || !IsHex(hex))
            throw new FormatException($"{name} '{Shorten(hex)}' is not hexadecimal text (OTLP/JSON writes ids as hex, e.g. 32 digits for a trace id)");
        obj[key] = Convert.ToBase64String(Convert.FromHexString(hex));
    }

    private static bool IsHex(string text)
    {
        foreach (var c in text)
            if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;

    /// <summary>
    /// Writes a message (<c>TracesData</c>, an export request or response) as OTLP/JSON on one line: ids as lower-case
    /// hex, enums as integers, fields at their default value left out.
    /// </summary>
    public static string Format(IMessage message)
    {
        var root = JsonNode.Parse(Formatter.Format(message))!.AsObject();
        foreach (var rs in Items(root, "resourceSpans", "resource_spans"))
        foreach (var ss in Items(rs, "scopeSpans", "scope_spans"))
        foreach (var span in Items(ss, "spans", "spans"))
        {
            Base64ToHex(span, "traceId");
            Base64ToHex(span, "spanId");
            Base64ToHex(span, "parentSpanId");
            foreach (var link in Items(span, "links", "links"))
            {
                Base64ToHex(link, "traceId");
                Base64ToHex(link, "spanId");
            }
        }
        return root.ToJsonString();
    }

    private static void Base64ToHex(JsonObject obj, string name)
    {
        if (obj[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            obj[name] = Convert.ToHexStringLower(Convert.FromBase64String(value.GetValue<string>()));
    }
}
