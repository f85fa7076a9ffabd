using System.Globalization;
using System.Text.RegularExpressions;
using Profiler.Storage;

namespace Profiler.Application.Traces.ListTraces;

/// <summary>
/// A search as a user types it (CLI options, API query parameters): every term optional, durations and times as text.
/// <see cref="TraceSearchRules"/> checks them; <see cref="ToFilter"/> turns them into the store's <see cref="TraceFilter"/>.
/// </summary>
/// <param name="Service">A point of the trace has this service.</param>
/// <param name="Project">A point of the trace has this project.</param>
/// <param name="Host">A point of the trace has this host.</param>
/// <param name="Name">An operation of this name appears in the trace (a point <c>&lt;name&gt;-start</c>/<c>-stop</c>).</param>
/// <param name="MinDuration">The whole trace lasts at least this long: <c>&lt;n&gt;[ms|s|m]</c>, e.g. <c>250ms</c>, <c>1.5s</c>, <c>2m</c>.</param>
/// <param name="MaxDuration">The whole trace lasts at most this long, as <paramref name="MinDuration"/>.</param>
/// <param name="Since">The trace starts at or after this time: an ISO timestamp (UTC unless it carries an offset) or a
/// duration ago, <c>&lt;n&gt;[s|m|h|d]</c> (e.g. <c>2h</c>).</param>
/// <param name="Until">The trace starts at or before this time, as <paramref name="Since"/>.</param>
public sealed partial record TraceSearchTerms(
    string? Service = null,
    string? Project = null,
    string? Host = null,
    string? Name = null,
    string? MinDuration = null,
    string? MaxDuration = null,
    string? Since = null,
    string? Until = null)
{
    /// <summary>The forms a duration takes, for messages.</summary>
    public const string DurationForms = "<n>ms, <n>s or <n>m (e.g. 250ms, 1.5s, 2m)";

    /// <summary>The forms a time takes, for messages.</summary>
    public const string TimeForms =
        "an ISO timestamp (2026-11-29T10:00:00, UTC unless it has an offset such as +01:00) or a duration ago (30s, 15m, 2h, 7d)";

    /// <summary>True when no term is given.</summary>
    public bool IsEmpty => Service is null && Project is null && Host is null && Name is null && MinDuration is null
                           && MaxDuration is null && Since is null && Until is null;

    /// <summary>Parses <c>&lt;n&gt;[ms|s|m]</c>; null when the text is not one.</summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        // No text is no duration: said without running the pattern (whose assembly a plain listing then never loads).
        if (string.IsNullOrEmpty(text)) return null;
        var m = DurationPattern().Match(text);
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            return null;
        var ms = m.Groups[2].Value switch { "ms" => n, "s" => n * 1000, _ => n * 60_000 };
        return ms > TimeSpan.MaxValue.TotalMilliseconds / 2 ? null : TimeSpan.FromTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond));
    }

    /// <summary>Parses an ISO timestamp or a duration ago (from <paramref name="now"/>); null when the text is neither.</summary>
    public static DateTime? ParseTime(string? text, DateTime now)
    {
        if (text is null) return null;
        var ago = AgoPattern().Match(text);
        if (ago.Success && double.TryParse(ago.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            var seconds = n * ago.Groups[2].Value switch { "s" => 1, "m" => 60, "h" => 3600, _ => 86400 };
            return seconds > 3.2e9 ? null : now.AddSeconds(-seconds);
        }
        if (!IsoPattern().IsMatch(text)) return null;
        return DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? DateTime.SpecifyKind(t, DateTimeKind.Utc)
            : null;
    }

    /// <summary>The store's filter; call after <see cref="TraceSearchRules"/> passed.</summary>
    /// <param name="now">The current UTC time, for durations ago.</param>
    public TraceFilter ToFilter(DateTime now) => new(
        Service, Project, Host, Name, ParseDuration(MinDuration), ParseDuration(MaxDuration), ParseTime(Since, now), ParseTime(Until, now));

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex AgoPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?(Z|[+-]\d{2}:?\d{2})?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoPattern();
}
