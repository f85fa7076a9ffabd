using FluentValidation;
using Profiler.Storage;

namespace Profiler.Application.Common;

/// <summary>Rules shared by the trace listings: limit, cursor and fields.</summary>
public static class TraceListRules
{
    /// <summary>Most traces one page may hold.</summary>
    public const int MaxLimit = 1_000_000;
    public const int MaxCursorLength = 1024;

    public static void AddListRules<T>(this AbstractValidator<T> validator,
        Func<T, int> limit, Func<T, string?> cursor, Func<T, IReadOnlyList<string>?> fields)
    {
        validator.RuleFor(q => limit(q)).InclusiveBetween(1, MaxLimit).OverridePropertyName("limit")
            .WithMessage(q => $"limit {limit(q)} is out of range: use 1 to {MaxLimit}");
        validator.RuleFor(q => cursor(q))
            .Must(c => c is null || (c.Length <= MaxCursorLength && !c.Any(char.IsControl)))
            .OverridePropertyName("cursor")
            .WithMessage(q => $"cursor '{TracePointRules.Show(cursor(q))}' is not one this server gave out");
        validator.RuleForEach(q => fields(q) ?? Array.Empty<string>())
            .Must(f => TraceFields.Allowed.Contains(f)).OverridePropertyName("fields")
            .WithMessage((_, f) => $"field '{TracePointRules.Show(f)}' is unknown: use {string.Join(", ", TraceFields.Allowed)}");
    }
}
