using System.Text.Json;
using System.Text.Json.Nodes;

namespace Profiler.Domain;

/// <summary>
/// Finds the text of a JSON tree that is not valid Unicode: a lone UTF-16 surrogate (a high or low half without its
/// other half). JSON text may carry one as an escape (<c>"\ud83d"</c>), which System.Text.Json refuses to read into a
/// string (its key or value throws when first read); a tree built in code may hold one in a string. Neither can be
/// stored faithfully. Used by the ingest API, <c>trace import</c> and the OTLP/JSON reader to name where it is.
/// </summary>
public static class JsonText
{
    /// <summary>Where a tree holds text that is not valid Unicode, and what is there.</summary>
    /// <param name="Path">The path of the object holding the bad key (<paramref name="InKey"/>), else of the bad string:
    /// <c>info.db.statement</c>, <c>tags[1]</c>; empty for the root.</param>
    /// <param name="InKey">Whether a key of the object at <paramref name="Path"/> is at fault, rather than a string value.</param>
    /// <param name="Text">The key or string as read, when it could be read (then <paramref name="At"/> is the index of its lone surrogate).</param>
    /// <param name="Raw">The string as written in the JSON text (escapes and all), when it could not be read; null for a key.</param>
    /// <param name="At">The index of the lone surrogate in <paramref name="Text"/>; -1 when the text could not be read.</param>
    public readonly record struct Problem(string Path, bool InKey, string? Text, string? Raw, int At);

    /// <summary>The first key or string of <paramref name="node"/> that is not valid Unicode text, depth first; null when all are.</summary>
    /// <param name="node">The tree.</param>
    /// <param name="path">The tree's own path, prefixed to the paths found (empty for a root).</param>
    public static Problem? FirstLoneSurrogate(JsonNode? node, string path)
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
                    return new Problem(path, InKey: true, Text: null, Raw: null, At: -1);
                }
                foreach (var (key, value) in properties)
                {
                    if (LoneSurrogateAt(key) is { } at) return new Problem(path, InKey: true, key, Raw: null, at);
                    if (FirstLoneSurrogate(value, path.Length == 0 ? key : path + "." + key) is { } problem) return problem;
                }
                return null;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    if (FirstLoneSurrogate(array[i], $"{path}[{i}]") is { } problem)
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
                    var raw = value.TryGetValue<JsonElement>(out var element) ? element.GetRawText() : "";
                    return new Problem(path, InKey: false, Text: null, raw, At: -1);
                }
                return LoneSurrogateAt(text) is { } bad ? new Problem(path, InKey: false, text, Raw: null, bad) : null;
            default:
                return null;
        }
    }

    /// <summary>The index of the first UTF-16 surrogate of <paramref name="text"/> without its other half; null when there is none.</summary>
    /// <param name="text">The text to look through.</param>
    public static int? LoneSurrogateAt(string text)
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
