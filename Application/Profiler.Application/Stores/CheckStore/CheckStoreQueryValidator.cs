using FluentValidation;

namespace Profiler.Application.Stores.CheckStore;

public sealed class CheckStoreQueryValidator : AbstractValidator<CheckStoreQuery>
{
    public CheckStoreQueryValidator()
    {
        RuleFor(q => q.Timeout).Must(t => t > TimeSpan.Zero && t <= CheckStoreQuery.MaxTimeout).OverridePropertyName("timeout")
            .WithMessage(q => $"timeout {q.Timeout} is out of range: use more than zero, up to {CheckStoreQuery.MaxTimeout}");
    }
}
