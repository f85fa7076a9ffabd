using FluentValidation;
using Profiler.Storage;

namespace Profiler.Application.Traces.DeleteTraces;

public sealed class DeleteTracesCommandValidator : AbstractValidator<DeleteTracesCommand>
{
    /// <summary>Most bad ids named in one answer.</summary>
    private const int MaxReported = 100;

    public DeleteTracesCommandValidator()
    {
        // One pass with a hand-written check: a bench deletes millions of ids at once.
        RuleFor(c => c.BaseIds).Custom((ids, context) =>
        {
            if (ids is null || ids.Count == 0)
            {
                context.AddFailure("base_ids", "name at least one trace to delete");
                return;
            }
            var max = context.InstanceToValidate.ReportMissing ? DeleteTracesCommand.MaxReportedTraces : DeleteTracesCommand.MaxTraces;
            if (ids.Count > max)
            {
                context.AddFailure("base_ids", $"{ids.Count} traces are over the limit of {max} in one command; split them");
                return;
            }
            var bad = 0;
            for (var i = 0; i < ids.Count && bad < MaxReported; i++)
                if (!TracePointRules.IsSafeId(ids[i]))
                {
                    bad++;
                    context.AddFailure($"base_ids[{i}]", TracePointRules.IdError("base id", ids[i]));
                }
        });
    }
}
