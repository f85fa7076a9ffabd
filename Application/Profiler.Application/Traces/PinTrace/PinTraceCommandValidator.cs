using FluentValidation;
using Profiler.Storage;

namespace Profiler.Application.Traces.PinTrace;

public sealed class PinTraceCommandValidator : AbstractValidator<PinTraceCommand>
{
    public PinTraceCommandValidator()
    {
        RuleFor(c => c.BaseId).Must(TracePointRules.IsSafeId).OverridePropertyName("base_id")
            .WithMessage(c => TracePointRules.IdError("base id", c.BaseId));
    }
}
