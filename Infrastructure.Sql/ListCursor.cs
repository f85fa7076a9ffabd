using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// The SQL driver's listing cursor (<see cref="TraceListCursor"/>): where the previous page ended, the last trace's
/// listing timestamp and base id. A cursor this driver did not give out is a <see cref="FormatException"/> (D1).
/// </summary>
internal static class ListCursor
{
    private const string Driver = "SQL";

    /// <summary>The cursor of the page after the trace listed at <paramref name="timestamp"/> with <paramref name="baseId"/>.</summary>
    public static string Encode(string timestamp, string baseId) => TraceListCursor.Create(Driver, timestamp, baseId);

    /// <summary>The position a cursor from <see cref="Encode"/> holds; nulls for no cursor (the first page).</summary>
    public static (string? Timestamp, string? BaseId) Parse(string? cursor)
    {
        if (cursor is null) return (null, null);
        var (timestamp, baseId) = TraceListCursor.Parse(Driver, cursor);
        return TraceTimestamp.TryParse(timestamp, out _) && TracePointRules.IsSafeId(baseId)
            ? (timestamp, baseId)
            : throw TraceListCursor.NotGivenOut(Driver, cursor);
    }
}
