using FluentValidation;
using MediatR;

namespace Profiler.Application.Common;

/// <summary>Runs every validator of a request before its handler; a failure throws <see cref="ValidationException"/>.</summary>
public sealed class ValidationBehaviour<TRequest, TResponse>(IEnumerable<IValidator<TRequest>> validators)
    : IPipelineBehavior<TRequest, TResponse>
{
    private readonly IValidator<TRequest>[] _validators = validators.ToArray();

    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        if (_validators.Length > 0)
        {
            var context = new ValidationContext<TRequest>(request);
            List<ValidationError>? errors = null;
            foreach (var validator in _validators)
            {
                var result = await validator.ValidateAsync(context, cancellationToken).ConfigureAwait(false);
                foreach (var f in result.Errors)
                    (errors ??= []).Add(new ValidationError(f.PropertyName, f.ErrorMessage));
            }
            if (errors is not null) throw new ValidationException(errors);
        }
        return await next().ConfigureAwait(false);
    }
}
