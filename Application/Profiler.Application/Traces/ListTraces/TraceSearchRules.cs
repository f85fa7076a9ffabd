using Profiler.Application.Common;
using Profiler.Storage;

namespace Profiler.Application.Traces.ListTraces;

/// <summary>Validation of <see cref="TraceSearchTerms"/>, shared by the listing and the count.</summary>
public static class TraceSearchRules
{
    /// <summary>Longest service, project, host or name (the SQL column's width).</summary>
    public const int MaxTermLength = 255;

    public static void AddSearchRules<T>(this DelegateValidator<T> validator, Func<T, TraceSearchTerms?> search)
    {
        foreach (var (name, get) in new (string, Func<TraceSearchTerms, string?>)[]
                 {
                     ("service", s => s.Service), ("project", s => s.Project), ("host", s => s.Host), ("name", s => s.Name),
                 })
            validator.Check(name, q => (search(q) is { } s ? get(s) : null) is not { } v || (v.Length is > 0 and <= MaxTermLength && !v.Any(char.IsControl)),
                q => $"{name} '{TracePointRules.Show(get(search(q)!))}' is not a value to search for: use 1 to {MaxTermLength} characters without control characters");
        foreach (var (name, get) in new (string, Func<TraceSearchTerms, string?>)[] { ("min_duration", s => s.MinDuration), ("max_duration", s => s.MaxDuration) })
            validator.Check(name, q => (search(q) is { } s ? get(s) : null) is not { } v || TraceSearchTerms.ParseDuration(v) is not null,
                q => $"{name} '{TracePointRules.Show(get(search(q)!))}' is not a duration: use {TraceSearchTerms.DurationForms}");
        foreach (var (name, get) in new (string, Func<TraceSearchTerms, string?>)[] { ("since", s => s.Since), ("until", s => s.Until) })
            validator.Check(name, q => (search(q) is { } s ? get(s) : null) is not { } v || TraceSearchTerms.ParseTime(v, DateTime.UtcNow) is not null,
                q => $"{name} '{TracePointRules.Show(get(search(q)!))}' is not a time: use {TraceSearchTerms.TimeForms}");
        validator.Check("min_duration",
            q => search(q) is not { } s || !(TraceSearchTerms.ParseDuration(s.MinDuration) is { } min && TraceSearchTerms.ParseDuration(s.MaxDuration) is { } max && min > max),
            q => $"min_duration '{search(q)!.MinDuration}' is above max_duration '{search(q)!.MaxDuration}': nothing could match");
        validator.Check("since",
            q =>
            {
                var now = DateTime.UtcNow;
                return search(q) is not { } s || !(TraceSearchTerms.ParseTime(s.Since, now) is { } since && TraceSearchTerms.ParseTime(s.Until, now) is { } until && since > until);
            },
            q => $"since '{search(q)!.Since}' is after until '{search(q)!.Until}': nothing could match");
    }
}
