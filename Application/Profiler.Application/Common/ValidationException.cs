namespace Profiler.Application.Common;

/// <summary>One rejected value: the property path (e.g. <c>Points[3].name</c>) and why.</summary>
public sealed record ValidationError(string Property, string Message);

/// <summary>
/// A request was rejected before it reached a store. <see cref="Errors"/> names each bad value;
/// a caller shows them (CLI lines, HTTP problem details). Nothing of the request was stored.
/// </summary>
public sealed class ValidationException(IReadOnlyList<ValidationError> errors) : Exception(Describe(errors))
{
    public IReadOnlyList<ValidationError> Errors { get; } = errors;

    private static string Describe(IReadOnlyList<ValidationError> errors)
    {
        var shown = errors.Take(5).Select(e => $"{e.Property}: {e.Message}");
        var more = errors.Count > 5 ? $" (and {errors.Count - 5} more)" : "";
        return $"Rejected: {string.Join("; ", shown)}{more}";
    }
}
