using System.Globalization;
using FluentValidation;
using FluentValidation.Results;

namespace Profiler.Application.Common;

/// <summary>
/// A FluentValidation validator whose rules are plain delegates (<see cref="Check"/>, <see cref="CheckEach{TElement}"/>)
/// instead of <c>RuleFor</c> expressions. FluentValidation compiles each <c>RuleFor</c> expression tree with
/// Reflection.Emit when the validator is built, and the runtime JIT-compiles the result: the listing's validator (13
/// rules) cost a short command (<c>profiler trace list</c>) about 15 ms of its start-up that way, more than the runtime
/// takes to start. The failures are FluentValidation's (<see cref="ValidationFailure"/>): the property name as given,
/// <c>name[index]</c> for an element of a collection; every rule runs, in the order added (FluentValidation's default
/// cascade), and a message is built only for a failure.
/// </summary>
/// <typeparam name="T">The request validated.</typeparam>
public abstract class DelegateValidator<T> : IValidator<T>
{
    private readonly List<Action<T, List<ValidationFailure>>> _rules = [];

    /// <summary>A rule: <paramref name="isValid"/> must hold, else a failure of <paramref name="property"/> with <paramref name="message"/>.</summary>
    public void Check(string property, Func<T, bool> isValid, Func<T, string> message) =>
        _rules.Add((instance, failures) =>
        {
            if (!isValid(instance)) failures.Add(new ValidationFailure(property, message(instance)));
        });

    /// <summary>
    /// A rule for each element of a collection (none when it is null): <paramref name="isValid"/> must hold for the
    /// element, else a failure of <c>property[index]</c> with <paramref name="message"/>.
    /// </summary>
    public void CheckEach<TElement>(string property, Func<T, IEnumerable<TElement>?> elements, Func<TElement, bool> isValid,
        Func<TElement, string> message) =>
        _rules.Add((instance, failures) =>
        {
            var index = 0;
            foreach (var element in elements(instance) ?? [])
            {
                if (!isValid(element))
                    failures.Add(new ValidationFailure($"{property}[{index.ToString(CultureInfo.InvariantCulture)}]", message(element)));
                index++;
            }
        });

    /// <summary>Runs every rule on <paramref name="context"/>'s instance; throws FluentValidation's exception when the context asks for it.</summary>
    public ValidationResult Validate(ValidationContext<T> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var result = new ValidationResult(Failures(context.InstanceToValidate));
        if (!result.IsValid && context.ThrowOnFailures) throw new FluentValidation.ValidationException(result.Errors);
        return result;
    }

    /// <summary>
    /// The failures of every rule on <paramref name="instance"/>, as <see cref="Validate(ValidationContext{T})"/> finds
    /// them, without a FluentValidation context (whose global options cost a short command a few milliseconds to set
    /// up): what <see cref="ValidationBehaviour{TRequest,TResponse}"/> runs.
    /// </summary>
    internal List<ValidationFailure> Failures(T instance)
    {
        if (instance is null)
            throw new InvalidOperationException("Cannot pass a null model to Validate/ValidateAsync. The root model must be non-null.");
        var failures = new List<ValidationFailure>();
        foreach (var rule in _rules) rule(instance, failures);
        return failures;
    }

    /// <inheritdoc />
    public ValidationResult Validate(T instance) => Validate(new ValidationContext<T>(instance));

    /// <inheritdoc />
    public Task<ValidationResult> ValidateAsync(T instance, CancellationToken cancellation = default) =>
        ValidateAsync(new ValidationContext<T>(instance), cancellation);

    /// <summary>As <see cref="Validate(ValidationContext{T})"/>: the rules do not wait.</summary>
    public Task<ValidationResult> ValidateAsync(ValidationContext<T> context, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        return Task.FromResult(Validate(context));
    }

    ValidationResult IValidator.Validate(IValidationContext context) => Validate(ValidationContext<T>.GetFromNonGenericContext(context));

    Task<ValidationResult> IValidator.ValidateAsync(IValidationContext context, CancellationToken cancellation) =>
        ValidateAsync(ValidationContext<T>.GetFromNonGenericContext(context), cancellation);

    /// <summary>No FluentValidation rules to describe: the rules are delegates.</summary>
    public IValidatorDescriptor CreateDescriptor() => new ValidatorDescriptor<T>([]);

    bool IValidator.CanValidateInstancesOfType(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return typeof(T).IsAssignableFrom(type);
    }
}
