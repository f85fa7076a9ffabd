using MediatR;
using Profiler.Application.Common;
using Profiler.Storage;

namespace Profiler.Application.Traces.PruneTraces;

public sealed class PruneTracesCommandHandler(ITraceStore store) : IRequestHandler<PruneTracesCommand, PruneTracesResult>
{
    public async Task<PruneTracesResult> Handle(PruneTracesCommand request, CancellationToken cancellationToken)
    {
        if (store is not ITraceStorePruning pruning)
            throw new CapabilityNotSupportedException("pruning traces", nameof(ITraceStorePruning));
        var cutoff = DateTime.UtcNow - request.OlderThan;
        var removed = await pruning.PruneAsync(cutoff, request.DryRun, cancellationToken).ConfigureAwait(false);
        return new PruneTracesResult(cutoff, removed.Traces, removed.Points, request.DryRun);
    }
}
