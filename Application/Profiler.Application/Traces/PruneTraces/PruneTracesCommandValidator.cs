using FluentValidation;
using Profiler.Domain;

namespace Profiler.Application.Traces.PruneTraces;

public sealed class PruneTracesCommandValidator : AbstractValidator<PruneTracesCommand>
{
    public PruneTracesCommandValidator()
    {
        RuleFor(c => c.OlderThan).Must(t => t >= TimeSpan.FromSeconds(1) && t <= RetentionPeriod.Max).OverridePropertyName("older_than")
            .WithMessage(c => $"older_than {c.OlderThan} is out of range: use {RetentionPeriod.Expected}");
    }
}
