using System.Globalization;

namespace Profiler.Domain;

/// <summary>
/// Durations as operators write them for retention and pruning (<c>ttl</c>, <c>--older-than</c>): a whole number
/// followed by <c>s</c>, <c>m</c>, <c>h</c> or <c>d</c> (<c>90s</c>, <c>15m</c>, <c>12h</c>, <c>7d</c>), or a plain number
/// of seconds (<c>3600</c>). At least one second, at most 3650 days.
/// </summary>
public static class RetentionPeriod
{
    /// <summary>The longest duration accepted: 3650 days.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(3650);

    /// <summary>What a valid value looks like, for error messages.</summary>
    public const string Expected = "a whole number of seconds, or a number followed by s, m, h or d (e.g. 90s, 15m, 12h, 7d), from 1 second to 3650 days";

    /// <summary>Reads <paramref name="text"/>; false for anything else than <see cref="Expected"/>.</summary>
    /// <param name="text">The value as written.</param>
    /// <param name="period">The duration read.</param>
    public static bool TryParse(string? text, out TimeSpan period)
    {
        period = default;
        var s = text?.Trim() ?? "";
        if (s.Length == 0) return false;
        var unit = char.ToLowerInvariant(s[^1]);
        var (digits, scale) = unit switch
        {
            's' => (s[..^1], 1L),
            'm' => (s[..^1], 60L),
            'h' => (s[..^1], 3600L),
            'd' => (s[..^1], 86400L),
            _ => (s, 1L),
        };
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > Max.TotalSeconds / scale)
            return false;
        period = TimeSpan.FromSeconds(n * scale);
        return true;
    }

    /// <summary>Reads <paramref name="text"/> or throws a <see cref="FormatException"/> naming <paramref name="name"/>, the value and <see cref="Expected"/>.</summary>
    /// <param name="name">Where the value came from, e.g. <c>ttl</c> or <c>--older-than</c>.</param>
    /// <param name="text">The value as written.</param>
    public static TimeSpan Parse(string name, string? text) =>
        TryParse(text, out var period) ? period
        : throw new FormatException($"{name} '{TraceTimestamp.Truncate(text ?? "")}' is not a duration: use {Expected}.");
}
