using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Profiler.Domain;

namespace Profiler.Storage;

/// <summary>
/// The rules every stored point and every id that reaches a store must pass. Ids are 1–255 characters of
/// <c>A–Z a–z 0–9 . _ : -</c> (UUIDs and OSProfiler ids pass; glob characters, slashes, whitespace and
/// control characters never do), so no id can select another trace in a key pattern or path.
/// </summary>
public static class TracePointRules
{
    /// <summary>Longest id accepted: 255 characters (OSProfiler's SQL columns are <c>varchar(255)</c>).</summary>
    public const int MaxIdLength = 255;

    /// <summary>Longest point name, project, service or host (<c>info.host</c>) accepted: 255 characters.</summary>
    public const int MaxNameLength = 255;

    /// <summary>
    /// The characters of a safe id as a bitmap of the 128 ASCII code points (bit <c>c</c> of <c>[c / 64]</c>): one
    /// lookup a character. Every ingested point checks three ids. Plain loops, not <c>SearchValues</c>: they are
    /// precompiled with this assembly, while the generic vectorised search starts as unoptimised code that allocates
    /// (a process writing for a second or two runs much of it that way).
    /// </summary>
    private static readonly ulong[] IdChars = IdCharBitmap();

    private static ulong[] IdCharBitmap()
    {
        var bits = new ulong[2];
        foreach (var c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-")
            bits[c >> 6] |= 1UL << (c & 63);
        return bits;
    }

    /// <summary>Whether <paramref name="id"/> is a safe trace id: 1–255 characters of <c>A–Z a–z 0–9 . _ : -</c>.</summary>
    /// <param name="id">The id to check; null is not safe.</param>
    public static bool IsSafeId([NotNullWhen(true)] string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxIdLength) return false;
        var bits = IdChars;
        foreach (var c in id)
            if (c >= 128 || (bits[c >> 6] & (1UL << (c & 63))) == 0)
                return false;
        return true;
    }

    /// <summary>The message for an unsafe id, naming it (shortened, control characters shown as <c>?</c>).</summary>
    /// <param name="field">The field the id came from, e.g. <c>base_id</c>.</param>
    /// <param name="id">The id that failed <see cref="IsSafeId"/>.</param>
    public static string IdError(string field, string? id) =>
        id is null ? $"{field} is missing"
        : $"{field} '{Show(id)}' is not a valid id: use 1 to {MaxIdLength} characters from A-Z a-z 0-9 . _ : - (e.g. a UUID)";

    /// <summary>Whether <paramref name="point"/> passes <see cref="Check"/> without a problem; allocates nothing.</summary>
    /// <param name="point">The point to check.</param>
    public static bool IsValid(TracePoint point)
    {
        var name = point.Name;
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || !IsPrintable(name)) return false;
        if (!(name.EndsWith("-start", StringComparison.Ordinal) && name.Length > 6)
            && !(name.EndsWith("-stop", StringComparison.Ordinal) && name.Length > 5))
            return false;
        return IsSafeId(point.BaseId) && IsSafeId(point.TraceId) && IsSafeId(point.ParentId)
               && point.Timestamp is not null && TraceTimestamp.TryParse(point.Timestamp, out _)
               && IsLabel(point.Project) && IsLabel(point.Service) && IsHostValid(point.Info);
    }

    /// <summary>
    /// Whether <paramref name="value"/> is a valid project, service or host label: null, or at most
    /// <see cref="MaxNameLength"/> printable characters (no control character, no unpaired UTF-16 surrogate).
    /// </summary>
    /// <param name="value">The label to check; null (none) is valid.</param>
    public static bool IsLabel(string? value) => value is null || (value.Length <= MaxNameLength && IsPrintable(value));

    /// <summary>
    /// Whether the text holds no character <see cref="char.IsControl(char)"/> calls one (U+0000–U+001F, U+007F–U+009F)
    /// and no unpaired UTF-16 surrogate (which no store can encode: JSON writers throw, SQL clients store <c>?</c>).
    /// </summary>
    private static bool IsPrintable(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c < '\u0020' || (uint)(c - '\u007F') <= '\u009F' - '\u007F') return false;
            if ((uint)(c - 0xD800) <= 0x7FF
                && (c > 0xDBFF || ++i == value.Length || (uint)(value[i] - 0xDC00) > 0x3FF))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Whether <c>info.host</c>, when it is a string (<see cref="TracePoint.Host"/>), is a valid label. Allocates nothing
    /// for info built in code (the notifier's points). A host parsed from JSON is judged on its raw UTF-8 bytes without
    /// making a string: under 256 bytes holding no escape and no C1 control (<c>C2 80</c>–<c>C2 9F</c>) it is valid as it
    /// stands (valid JSON holds no raw C0 control, valid UTF-8 no surrogate). (Looking the key up makes a parsed info
    /// object build its property nodes, once: System.Text.Json offers no lookup without it. The SQL drivers read
    /// <see cref="TracePoint.Host"/> and so did that already.)
    /// </summary>
    private static bool IsHostValid(JsonObject? info)
    {
        if (info is null || !TryGetHost(info, out var node) || node is not JsonValue value) return true;
        if (value.TryGetValue<JsonElement>(out var element))
        {
            if (element.ValueKind != JsonValueKind.String) return true;
            var raw = JsonMarshal.GetRawUtf8Value(element);
            if (raw.Length - 2 <= MaxNameLength && raw.IndexOfAny((byte)'\\', (byte)0xC2) < 0) return true;
            return HostText(element) is { } text && IsLabel(text);
        }
        return !value.TryGetValue<string>(out var host) || IsLabel(host);
    }

    /// <summary>
    /// <c>info.host</c>'s node. False as well when a parsed info cannot be looked into: a key holding an escaped unpaired
    /// surrogate throws when the object first reads its keys. The host cannot be judged then; the key itself is the
    /// problem, which the ingest's text check names (and which no store could write).
    /// </summary>
    private static bool TryGetHost(JsonObject info, out JsonNode? node)
    {
        try
        {
            return info.TryGetPropertyValue("host", out node);
        }
        catch (InvalidOperationException)
        {
            node = null;
            return false;
        }
    }

    /// <summary>The text of a parsed string; null when it holds an escaped unpaired surrogate (which cannot be read).</summary>
    private static string? HostText(JsonElement element)
    {
        try { return element.GetString(); }
        catch (InvalidOperationException) { return null; }
    }

    /// <summary>The message of the first problem <see cref="Check"/> finds with <paramref name="point"/>; null for a valid point.</summary>
    /// <param name="point">The point to check.</param>
    public static string? FirstProblem(TracePoint point)
    {
        if (IsValid(point)) return null;
        string? first = null;
        Check(point, (_, message) => first ??= message);
        return first ?? "the point is not valid";
    }

    /// <summary>
    /// Checks one point: a name of the form <c>&lt;operation&gt;-start</c> or <c>&lt;operation&gt;-stop</c>, safe
    /// <c>base_id</c>, <c>trace_id</c> and <c>parent_id</c>, an OSProfiler timestamp, printable project, service and
    /// host (<c>info.host</c> when it is a string): at most <see cref="MaxNameLength"/> characters, none of them a control
    /// character or an unpaired UTF-16 surrogate.
    /// </summary>
    /// <param name="point">The point to check.</param>
    /// <param name="report">Called with (field, message) for each problem; the message names the value.</param>
    public static void Check(TracePoint point, Action<string, string> report)
    {
        if (point.Name is null or "") report("name", "name is missing");
        else if (point.Name.Length > MaxNameLength || !IsPrintable(point.Name))
            report("name", $"name '{Show(point.Name)}' must be at most {MaxNameLength} printable characters{Unpaired(point.Name)}");
        else if (!(point.Name.EndsWith("-start", StringComparison.Ordinal) && point.Name.Length > 6)
                 && !(point.Name.EndsWith("-stop", StringComparison.Ordinal) && point.Name.Length > 5))
            report("name", $"name '{Show(point.Name)}' must be <operation>-start or <operation>-stop");
        if (!IsSafeId(point.BaseId)) report("base_id", IdError("base_id", point.BaseId));
        if (!IsSafeId(point.TraceId)) report("trace_id", IdError("trace_id", point.TraceId));
        if (!IsSafeId(point.ParentId)) report("parent_id", IdError("parent_id", point.ParentId));
        if (point.Timestamp is null || !TraceTimestamp.TryParse(point.Timestamp, out _))
            report("timestamp", $"timestamp '{Show(point.Timestamp)}' is not YYYY-MM-DDTHH:MM:SS.ffffff (UTC)");
        CheckLabel("project", point.Project, report);
        CheckLabel("service", point.Service, report);
        if (!IsHostValid(point.Info))
        {
            var value = (JsonValue)point.Info!["host"]!;
            var host = value.TryGetValue<JsonElement>(out var e) ? HostText(e) : value.GetValue<string>();
            report("info.host", host is null
                ? $"info.host is not valid Unicode text: use at most {MaxNameLength} printable characters"
                : $"info.host '{Show(host)}' must be at most {MaxNameLength} printable characters{Unpaired(host)}");
        }
    }

    private static void CheckLabel(string field, string? value, Action<string, string> report)
    {
        if (!IsLabel(value))
            report(field, $"{field} '{Show(value)}' must be at most {MaxNameLength} printable characters{Unpaired(value!)}");
    }

    /// <summary>A note for a message about a text that holds an unpaired surrogate (shown as <c>?</c> by <see cref="Show"/>).</summary>
    private static string Unpaired(string value) =>
        value.Length <= MaxNameLength && !value.Any(char.IsControl) ? " (it holds an unpaired UTF-16 surrogate)" : "";

    /// <summary>
    /// A value shortened to 60 characters (never between the two halves of a surrogate pair) with control characters and
    /// unpaired UTF-16 surrogates shown as <c>?</c>, for messages: the result can always be written as JSON or UTF-8.
    /// </summary>
    /// <param name="value">The value to show; null is shown as <c>null</c>.</param>
    public static string Show(string? value)
    {
        if (value is null) return "null";
        var cut = value.Length > 60 ? char.IsHighSurrogate(value[59]) && char.IsLowSurrogate(value[60]) ? 59 : 60 : value.Length;
        var s = cut < value.Length ? value[..cut] + "…" : value;
        return string.Create(s.Length, s, (span, src) =>
        {
            for (var i = 0; i < src.Length; i++)
            {
                var c = src[i];
                if (char.IsHighSurrogate(c) && i + 1 < src.Length && char.IsLowSurrogate(src[i + 1]))
                {
                    span[i] = c;
                    span[++i] = src[i];
                }
                else span[i] = char.IsControl(c) || char.IsSurrogate(c) ? '?' : c;
            }
        });
    }
}
