using FluentValidation;
using Profiler.Storage;

namespace Profiler.Application.Traces.AnalyzeTrace;

public sealed class AnalyzeTraceQueryValidator : AbstractValidator<AnalyzeTraceQuery>
{
    public AnalyzeTraceQueryValidator()
    {
        RuleFor(q => q.BaseId).Must(TracePointRules.IsSafeId)
            .WithMessage(q => TracePointRules.IdError("base id", q.BaseId)).OverridePropertyName("base_id");
    }
}
