using FluentValidation;
using Profiler.Storage;

namespace Profiler.Application.Traces.DiffTraces;

public sealed class DiffTracesQueryValidator : AbstractValidator<DiffTracesQuery>
{
    public DiffTracesQueryValidator()
    {
        RuleFor(q => q.BaseIdA).Must(TracePointRules.IsSafeId)
            .WithMessage(q => TracePointRules.IdError("base id", q.BaseIdA)).OverridePropertyName("a");
        RuleFor(q => q.BaseIdB).Must(TracePointRules.IsSafeId)
            .WithMessage(q => TracePointRules.IdError("base id", q.BaseIdB)).OverridePropertyName("b");
    }
}
