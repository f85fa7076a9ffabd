using FluentValidation;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Application.Traces.RecordTracePoints;

public sealed class RecordTracePointsCommandValidator : AbstractValidator<RecordTracePointsCommand>
{
    public RecordTracePointsCommandValidator()
    {
        // One pass with hand-written checks: this runs for every ingested point.
        RuleFor(c => c.Points).Custom((points, context) =>
        {
            if (points is null || points.Count == 0)
            {
                context.AddFailure("Points", "a batch needs at least one point");
                return;
            }
            if (points.Count > RecordTracePointsCommand.MaxBatchSize)
            {
                context.AddFailure("Points",
                    $"a batch of {points.Count} points is over the limit of {RecordTracePointsCommand.MaxBatchSize}; split it");
                return;
            }
            for (var i = 0; i < points.Count; i++)
            {
                if (points[i] is null)
                {
                    context.AddFailure($"Points[{i}]", "point is null");
                    continue;
                }
                // The usual valid point costs no allocation; only a failing one is checked again to name its faults.
                if (!TracePointRules.IsValid(points[i])) ReportFaults(points[i], i, context);
            }
        });
    }

    /// <summary>
    /// Names the faults of an invalid point. A method of its own: a lambda capturing the index inside the loop would
    /// allocate its closure for every point, valid or not.
    /// </summary>
    private static void ReportFaults(TracePoint point, int index, ValidationContext<RecordTracePointsCommand> context) =>
        TracePointRules.Check(point, (field, message) => context.AddFailure($"Points[{index}].{field}", message));
}
