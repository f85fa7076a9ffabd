using System.Diagnostics.CodeAnalysis;
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

    /// <summary>Longest point name, project or service accepted: 255 characters.</summary>
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
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || HasControl(name)) return false;
        if (!(name.EndsWith("-start", StringComparison.Ordinal) && name.Length > 6)
            && !(name.EndsWith("-stop", StringComparison.Ordinal) && name.Length > 5))
            return false;
        return IsSafeId(point.BaseId) && IsSafeId(point.TraceId) && IsSafeId(point.ParentId)
               && point.Timestamp is not null && TraceTimestamp.TryParse(point.Timestamp, out _)
               && IsLabel(point.Project) && IsLabel(point.Service);
    }

    private static bool IsLabel(string? value) => value is null || (value.Length <= MaxNameLength && !HasControl(value));

    /// <summary>Whether the text holds a character <see cref="char.IsControl(char)"/> calls one: U+0000–U+001F, U+007F–U+009F.</summary>
    private static bool HasControl(string value)
    {
        foreach (var c in value)
            if (c < '\u0020' || (uint)(c - '\u007F') <= '\u009F' - '\u007F')
                return true;
        return false;
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
    /// <c>base_id</c>, <c>trace_id</c> and <c>parent_id</c>, an OSProfiler timestamp, printable project and service.
    /// </summary>
    /// <param name="point">The point to check.</param>
    /// <param name="report">Called with (field, message) for each problem; the message names the value.</param>
    public static void Check(TracePoint point, Action<string, string> report)
    {
        if (point.Name is null or "") report("name", "name is missing");
        else if (point.Name.Length > MaxNameLength || point.Name.Any(char.IsControl))
            report("name", $"name '{Show(point.Name)}' must be at most {MaxNameLength} printable characters");
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
    }

    private static void CheckLabel(string field, string? value, Action<string, string> report)
    {
        if (value is not null && (value.Length > MaxNameLength || value.Any(char.IsControl)))
            report(field, $"{field} '{Show(value)}' must be at most {MaxNameLength} printable characters");
    }

    /// <summary>A value shortened to 60 characters with control characters shown as <c>?</c>, for messages.</summary>
    /// <param name="value">The value to show; null is shown as <c>null</c>.</param>
    public static string Show(string? value)
    {
        if (value is null) return "null";
        var s = value.Length > 60 ? value[..60] + "…" : value;
        return string.Create(s.Length, s, (span, src) =>
        {
            for (var i = 0; i < src.Length; i++) span[i] = char.IsControl(src[i]) ? '?' : src[i];
        });
    }
}
