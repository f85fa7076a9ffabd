using MediatR;

namespace Profiler.Application.Traces.DeleteTraces;

/// <summary>
/// Deletes whole traces where the store can (its driver implements <see cref="Profiler.Storage.ITraceStoreCleanup"/>);
/// a store that cannot is not an error: the answer says so and nothing is deleted. Unknown ids are ignored, or, with
/// <paramref name="ReportMissing"/>, named in <see cref="DeleteTracesResult.Missing"/> (the others are still deleted).
/// </summary>
/// <param name="BaseIds">The traces, each a safe id; 1 to <see cref="MaxTraces"/> of them.</param>
/// <param name="ReportMissing">
/// Name the ids the store held nothing of. Default false: one batch for all ids (a bench deletes millions); true
/// deletes trace by trace, for the few ids a user names (<c>profiler trace delete</c>, <c>DELETE /api/v1/traces/{id}</c>).
/// </param>
public sealed record DeleteTracesCommand(IReadOnlyList<string> BaseIds, bool ReportMissing = false) : IRequest<DeleteTracesResult>
{
    /// <summary>Most traces in one command.</summary>
    public const int MaxTraces = 100_000_000;

    /// <summary>Most traces in one command with <see cref="ReportMissing"/>.</summary>
    public const int MaxReportedTraces = 10_000;
}

/// <summary>The answer of <see cref="DeleteTracesCommand"/>.</summary>
/// <param name="Supported">False when the store's driver cannot delete traces; nothing was deleted then.</param>
/// <param name="DeletedTraces">Traces that had something to delete.</param>
public sealed record DeleteTracesResult(bool Supported, int DeletedTraces)
{
    /// <summary>With <see cref="DeleteTracesCommand.ReportMissing"/>: the ids the store held nothing of, in the order given; else empty.</summary>
    public IReadOnlyList<string> Missing { get; init; } = [];
}
