using System.Globalization;

namespace Profiler.Domain;

/// <summary>
/// A trace point's time: UTC with microsecond precision, written as
/// <c>%Y-%m-%dT%H:%M:%S.%f</c> (six fraction digits) like OSProfiler (docs/osprofiler-formats.md §1).
/// Readers accept one to six fraction digits, or none.
/// </summary>
public readonly record struct TraceTimestamp : IComparable<TraceTimestamp>
{
    private const long TicksPerMicrosecond = 10;

    private TraceTimestamp(long ticks) => Ticks = ticks;

    /// <summary>Ticks (100 ns) since 0001-01-01 UTC, always a whole number of microseconds.</summary>
    public long Ticks { get; }

    /// <summary>The time as a UTC <see cref="DateTime"/>.</summary>
    public DateTime UtcDateTime => new(Ticks, DateTimeKind.Utc);

    /// <summary>Now, truncated to the microsecond.</summary>
    public static TraceTimestamp UtcNow => FromDateTime(DateTime.UtcNow);

    /// <summary>A timestamp from a UTC time, truncated to the microsecond.</summary>
    public static TraceTimestamp FromDateTime(DateTime utc) =>
        new(utc.Ticks - utc.Ticks % TicksPerMicrosecond);

    /// <summary>Whole milliseconds from <paramref name="origin"/> to this time, truncated as OSProfiler does.</summary>
    public long MillisecondsSince(TraceTimestamp origin) =>
        (Ticks - origin.Ticks) / TicksPerMicrosecond / 1000;

    public int CompareTo(TraceTimestamp other) => Ticks.CompareTo(other.Ticks);

    public static bool operator <(TraceTimestamp a, TraceTimestamp b) => a.Ticks < b.Ticks;
    public static bool operator >(TraceTimestamp a, TraceTimestamp b) => a.Ticks > b.Ticks;
    public static bool operator <=(TraceTimestamp a, TraceTimestamp b) => a.Ticks <= b.Ticks;
    public static bool operator >=(TraceTimestamp a, TraceTimestamp b) => a.Ticks >= b.Ticks;

    /// <summary>Parses <c>YYYY-MM-DDTHH:MM:SS[.ffffff]</c>; throws <see cref="FormatException"/> naming the value.</summary>
    public static TraceTimestamp Parse(string text) =>
        TryParse(text, out var value)
            ? value
            : throw new FormatException(
                $"Timestamp '{Truncate(text)}' is not in the form YYYY-MM-DDTHH:MM:SS.ffffff (UTC, e.g. 2026-11-25T01:40:47.957338).");

    /// <summary>Parses <c>YYYY-MM-DDTHH:MM:SS[.f…]</c> with up to six fraction digits.</summary>
    public static bool TryParse(ReadOnlySpan<char> s, out TraceTimestamp value)
    {
        value = default;
        if (s.Length < 19 || s.Length == 20 || s.Length > 26) return false;
        if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
            || !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
            return false;
        var micro = 0;
        if (s.Length > 19)
        {
            if (s[19] != '.') return false;
            var digits = s.Length - 20;
            if (!Digits(s, 20, digits, out micro)) return false;
            for (var i = digits; i < 6; i++) micro *= 10;
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
            return false;
        var ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks + micro * TicksPerMicrosecond;
        value = new TraceTimestamp(ticks);
        return true;
    }

    /// <summary>The OSProfiler text form, six fraction digits.</summary>
    public override string ToString() =>
        UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var c = s[i];
            if (c is < '0' or > '9') return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    internal static string Truncate(string? text, int max = 80) =>
        text is null ? "null" : text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");
}
