using FluentValidation;
using Profiler.Storage;

namespace Profiler.Application.Traces.GetTraceOverviews;

public sealed class GetTraceOverviewsQueryValidator : AbstractValidator<GetTraceOverviewsQuery>
{
    public GetTraceOverviewsQueryValidator()
    {
        RuleFor(q => q.BaseIds).NotNull().OverridePropertyName("base_ids").WithMessage("base ids are required");
        RuleFor(q => q.BaseIds.Count).LessThanOrEqualTo(GetTraceOverviewsQuery.MaxTraces).When(q => q.BaseIds is not null)
            .OverridePropertyName("base_ids")
            .WithMessage(q => $"{q.BaseIds.Count} traces are over the limit of {GetTraceOverviewsQuery.MaxTraces} in one query");
        RuleForEach(q => q.BaseIds).Must(TracePointRules.IsSafeId).OverridePropertyName("base_ids")
            .WithMessage((_, id) => TracePointRules.IdError("base id", id));
        RuleFor(q => q.MaxPointsPerTrace).InclusiveBetween(1, GetTraceOverviewsQuery.MaxPointsLimit)
            .OverridePropertyName("max_points_per_trace")
            .WithMessage(q => $"max points per trace {q.MaxPointsPerTrace} is out of range: use 1 to {GetTraceOverviewsQuery.MaxPointsLimit}");
    }
}
