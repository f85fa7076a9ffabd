using MediatR;

namespace Profiler.Application.Traces.PruneTraces;

/// <summary>
/// Deletes whole traces whose newest point is older than <paramref name="OlderThan"/>, pinned ones excepted
/// (<see cref="Profiler.Storage.ITraceStorePruning"/>). Throws <see cref="Common.CapabilityNotSupportedException"/>
/// when the store's driver cannot prune.
/// </summary>
/// <param name="OlderThan">Age of the newest point beyond which a trace goes: 1 second to <see cref="Profiler.Domain.RetentionPeriod.Max"/>.</param>
/// <param name="DryRun">Only count what would be removed. Default false.</param>
public sealed record PruneTracesCommand(TimeSpan OlderThan, bool DryRun = false) : IRequest<PruneTracesResult>;

/// <summary>The answer of <see cref="PruneTracesCommand"/>.</summary>
/// <param name="Cutoff">Traces whose newest point was before this UTC time were removed.</param>
/// <param name="Traces">Traces removed (or that would be, on a dry run).</param>
/// <param name="Points">Points removed with them.</param>
/// <param name="DryRun">True when nothing was removed, only counted.</param>
public sealed record PruneTracesResult(DateTime Cutoff, long Traces, long Points, bool DryRun);
