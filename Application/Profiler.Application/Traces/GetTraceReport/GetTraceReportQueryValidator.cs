using FluentValidation;
using Profiler.Storage;

namespace Profiler.Application.Traces.GetTraceReport;

public sealed class GetTraceReportQueryValidator : AbstractValidator<GetTraceReportQuery>
{
    public GetTraceReportQueryValidator()
    {
        RuleFor(q => q.BaseId).Must(TracePointRules.IsSafeId)
            .WithMessage(q => TracePointRules.IdError("base id", q.BaseId)).OverridePropertyName("base_id");
    }
}
