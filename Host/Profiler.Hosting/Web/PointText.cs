using System.Text.Json;
using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// The one check on a point's text that the stores need beyond <see cref="TracePointRules"/>: every string of the point,
/// and every key and string inside its <c>info</c>, is valid Unicode text. JSON may carry a lone UTF-16 surrogate as an
/// escape (<c>"\ud83d"</c> without its low half), which System.Text.Json reads into a string that no store can write
/// (its JSON writer refuses it). The ingest API, the OTLP receiver and <c>profiler trace import</c> run this check before
/// they store anything, so such a point is refused naming the field instead of failing the write half-way.
/// </summary>
public static class PointText
{
    /// <summary>
    /// Whether JSON text may hold a lone surrogate: true when it holds an escape <c>\uD800</c>–<c>\uDFFF</c> (paired or not).
    /// False proves that no string parsed from it holds one, so that <see cref="FirstProblem"/> need not run per point.
    /// </summary>
    /// <param name="json">UTF-8 JSON text.</param>
    public static bool MayHoldLoneSurrogate(ReadOnlySpan<byte> json)
    {
        while (true)
        {
            var at = json.IndexOf("\\u"u8);
            if (at < 0 || at + 4 > json.Length) return false;
            var first = json[at + 2] | 0x20;
            var second = json[at + 3] | 0x20;
            if (first == 'd' && second is >= '8' and <= '9' or >= 'a' and <= 'f') return true;
            json = json[(at + 2)..];
        }
    }

    /// <summary>
    /// The first text problem of a point as (field, message), e.g. (<c>info.db.statement</c>, "info.db.statement holds a
    /// lone UTF-16 surrogate (\ud83d) …"); null when every string is valid Unicode text.
    /// </summary>
    /// <param name="point">The point to check.</param>
    public static (string Field, string Message)? FirstProblem(TracePoint point)
    {
        foreach (var (field, value) in (ReadOnlySpan<(string, string?)>)[("name", point.Name), ("base_id", point.BaseId), ("trace_id", point.TraceId),
                     ("parent_id", point.ParentId), ("timestamp", point.Timestamp), ("project", point.Project), ("service", point.Service)])
            if (value is not null && LoneSurrogateAt(value) is { } at)
                return (field, Message(field, value, at));
        return point.Info is null ? null : InfoProblem(point.Info, "info");
    }

    private static (string, string)? InfoProblem(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                List<KeyValuePair<string, JsonNode?>> properties;
                try
                {
                    // The keys are unescaped when the object is first enumerated: a key with a lone surrogate throws there.
                    properties = [.. obj];
                }
                catch (InvalidOperationException)
                {
                    return (path, $"a key in {path} holds a lone UTF-16 surrogate (an escape \\uD800-\\uDFFF without its other half): " + Accepted);
                }
                foreach (var (key, value) in properties)
                {
                    var field = path + "." + key;
                    if (LoneSurrogateAt(key) is { } at)
                        return (path, $"a key in {path} ('{TracePointRules.Show(Visible(key))}') holds a lone UTF-16 surrogate ({Escape(key[at])}): " + Accepted);
                    if (InfoProblem(value, field) is { } problem) return problem;
                }
                return null;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    if (InfoProblem(array[i], $"{path}[{i}]") is { } problem)
                        return problem;
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                string text;
                try
                {
                    text = value.GetValue<string>();
                }
                catch (InvalidOperationException)
                {
                    // Read from JSON text: the string as written there, escapes and all.
                    var raw = value.TryGetValue<JsonElement>(out var element) ? element.GetRawText() : "a string";
                    return (path, $"{path} {TracePointRules.Show(raw)} holds a lone UTF-16 surrogate (an escape \\uD800-\\uDFFF without its other half): " + Accepted);
                }
                return LoneSurrogateAt(text) is { } bad ? (path, Message(path, text, bad)) : null;
            default:
                return null;
        }
    }

    private const string Accepted = "strings must be valid Unicode text; write a character outside the BMP as a surrogate pair (e.g. \\ud83d\\ude00) or as UTF-8";

    private static string Message(string field, string value, int at) =>
        $"{field} '{TracePointRules.Show(Visible(value))}' holds a lone UTF-16 surrogate ({Escape(value[at])}): " + Accepted;

    /// <summary>The text with each lone surrogate written as its escape (<c>\ud83d</c>), so that a message can show it.</summary>
    private static string Visible(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length + 12);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) builder.Append(c).Append(text[++i]);
            else if (char.IsSurrogate(c)) builder.Append(Escape(c));
            else builder.Append(c);
        }
        return builder.ToString();
    }

    private static string Escape(char c) => $"\\u{(int)c:x4}";

    /// <summary>The index of the first UTF-16 surrogate without its other half; null when there is none.</summary>
    private static int? LoneSurrogateAt(string text)
    {
        var span = text.AsSpan();
        var i = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0) return null;
        for (; i < span.Length; i++)
        {
            var c = span[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
                {
                    i++;
                    continue;
                }
                return i;
            }
            if (char.IsLowSurrogate(c)) return i;
        }
        return null;
    }
}
