using System.Globalization;
using Profiler.Storage;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// The Redis driver's listing cursor (<see cref="TraceListCursor"/>): where the previous page ended, the last trace's
/// listing time in ticks and its base id. A cursor this driver did not give out is a <see cref="FormatException"/> (D1).
/// </summary>
internal static class ListingCursor
{
    private const string Driver = "Redis";

    /// <summary>The cursor of the page after the trace listed at <paramref name="ticks"/> with <paramref name="baseId"/>.</summary>
    public static string Format(long ticks, string baseId) =>
        TraceListCursor.Create(Driver, ticks.ToString(CultureInfo.InvariantCulture), baseId);

    /// <summary>The position a cursor from <see cref="Format"/> holds; (0, null) for no cursor (the first page).</summary>
    public static (long Ticks, string? BaseId) Parse(string? cursor)
    {
        if (cursor is null) return (0, null);
        var (position, baseId) = TraceListCursor.Parse(Driver, cursor);
        return long.TryParse(position, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ticks)
               && ticks >= PointSummary.NoTime && TracePointRules.IsSafeId(baseId)
            ? (ticks, baseId)
            : throw TraceListCursor.NotGivenOut(Driver, cursor);
    }
}
