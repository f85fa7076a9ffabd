using MediatR;

namespace Profiler.Application.Traces.DeleteTraces;

/// <summary>
/// Deletes whole traces where the store can (its driver implements <see cref="Profiler.Storage.ITraceStoreCleanup"/>);
/// a store that cannot is not an error: the answer says so and nothing is deleted. Unknown ids are ignored.
/// </summary>
/// <param name="BaseIds">The traces, each a safe id; 1 to <see cref="MaxTraces"/> of them.</param>
public sealed record DeleteTracesCommand(IReadOnlyList<string> BaseIds) : IRequest<DeleteTracesResult>
{
    /// <summary>Most traces in one command.</summary>
    public const int MaxTraces = 100_000_000;
}

/// <summary>The answer of <see cref="DeleteTracesCommand"/>.</summary>
/// <param name="Supported">False when the store's driver cannot delete traces; nothing was deleted then.</param>
/// <param name="DeletedTraces">Traces that had something to delete.</param>
public sealed record DeleteTracesResult(bool Supported, int DeletedTraces);
