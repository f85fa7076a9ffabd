using FluentValidation;
using FluentValidation.Results;
using MediatR;
using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Application.Common;

/// <summary>Runs every validator of a request before its handler; a failure throws <see cref="ValidationException"/>.</summary>
public sealed class ValidationBehaviour<TRequest, TResponse>(IEnumerable<IValidator<TRequest>> validators)
    : IPipelineBehavior<TRequest, TResponse>
{
    private readonly IValidator<TRequest>[] _validators = validators.ToArray();

    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        if (_validators.Length > 0)
        {
            ValidationContext<TRequest>? context = null;
            List<ValidationError>? errors = null;
            foreach (var validator in _validators)
            {
                // A delegate validator's rules run without a FluentValidation context (DelegateValidator.Failures).
                IEnumerable<ValidationFailure> failures;
                if (validator is DelegateValidator<TRequest> rules)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    failures = rules.Failures(request);
                }
                else failures = (await validator.ValidateAsync(context ??= new ValidationContext<TRequest>(request), cancellationToken).ConfigureAwait(false)).Errors;
                foreach (var f in failures)
                    (errors ??= []).Add(new ValidationError(f.PropertyName, f.ErrorMessage));
            }
            if (errors is not null) throw new ValidationException(errors);
        }
        return await next().ConfigureAwait(false);
    }
}
