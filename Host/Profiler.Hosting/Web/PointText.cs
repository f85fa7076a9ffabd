using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// The one check on a point's text that the stores need beyond <see cref="TracePointRules"/> (which holds the point's
/// own fields to printable text): every key and string inside its <c>info</c> is valid Unicode text. JSON may carry a lone UTF-16 surrogate as an
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
    public static (string Field, string Message)? FirstProblem(TracePoint point) =>
        // The point's own fields are TracePointRules' (its labels must be printable: no unpaired surrogate; ids are ASCII).
        point.Info is null ? null : InfoProblem(point.Info, "info");

    private static (string, string)? InfoProblem(JsonNode? node, string path) =>
        JsonText.FirstLoneSurrogate(node, path) switch
        {
            null => null,
            { InKey: true, Text: null } p => (p.Path, $"a key in {p.Path} holds a lone UTF-16 surrogate (an escape \\uD800-\\uDFFF without its other half): " + Accepted),
            { InKey: true, Text: { } key } p => (p.Path, $"a key in {p.Path} ('{TracePointRules.Show(Visible(key))}') holds a lone UTF-16 surrogate ({Escape(key[p.At])}): " + Accepted),
            { Text: { } text } p => (p.Path, Message(p.Path, text, p.At)),
            var p => (p.Value.Path, $"{p.Value.Path} {TracePointRules.Show(p.Value.Raw)} holds a lone UTF-16 surrogate (an escape \\uD800-\\uDFFF without its other half): " + Accepted),
        };

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
}
