using Profiler.Storage;

namespace Profiler.Application.Common;

/// <summary>Rules shared by the trace listings: limit, cursor and fields.</summary>
public static class TraceListRules
{
    /// <summary>Most traces one page may hold.</summary>
    public const int MaxLimit = 1_000_000;
    public const int MaxCursorLength = 1024;

    public static void AddListRules<T>(this DelegateValidator<T> validator,
        Func<T, int> limit, Func<T, string?> cursor, Func<T, IReadOnlyList<string>?> fields)
    {
        validator.Check("limit", q => limit(q) is >= 1 and <= MaxLimit,
            q => $"limit {limit(q)} is out of range: use 1 to {MaxLimit}");
        validator.Check("cursor", q => cursor(q) is not { } c || (c.Length <= MaxCursorLength && !c.Any(char.IsControl)),
            q => $"cursor '{TracePointRules.Show(cursor(q))}' is not one this server gave out");
        validator.CheckEach("fields", fields, f => TraceFields.Allowed.Contains(f),
            f => $"field '{TracePointRules.Show(f)}' is unknown: use {string.Join(", ", TraceFields.Allowed)}");
    }
}
