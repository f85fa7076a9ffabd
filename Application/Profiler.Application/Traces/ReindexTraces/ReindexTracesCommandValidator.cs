using FluentValidation;

namespace Profiler.Application.Traces.ReindexTraces;

/// <summary>Nothing to check: the command has no arguments (every use case has a validator).</summary>
public sealed class ReindexTracesCommandValidator : AbstractValidator<ReindexTracesCommand>;
