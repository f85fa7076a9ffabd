using MediatR;
using Profiler.Storage;

namespace Profiler.Application.Traces.DeleteTraces;

public sealed class DeleteTracesCommandHandler(ITraceStore store) : IRequestHandler<DeleteTracesCommand, DeleteTracesResult>
{
    public async Task<DeleteTracesResult> Handle(DeleteTracesCommand request, CancellationToken cancellationToken)
    {
        if (store is not ITraceStoreCleanup cleanup) return new DeleteTracesResult(false, 0);
        var deleted = await cleanup.DeleteTracesAsync(request.BaseIds, cancellationToken).ConfigureAwait(false);
        return new DeleteTracesResult(true, deleted);
    }
}
