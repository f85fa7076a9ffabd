using MediatR;
using Profiler.Storage;

namespace Profiler.Application.Traces.DeleteTraces;

public sealed class DeleteTracesCommandHandler(ITraceStore store) : IRequestHandler<DeleteTracesCommand, DeleteTracesResult>
{
    public async Task<DeleteTracesResult> Handle(DeleteTracesCommand request, CancellationToken cancellationToken)
    {
        if (store is not ITraceStoreCleanup cleanup) return new DeleteTracesResult(false, 0);
        if (!request.ReportMissing)
            return new DeleteTracesResult(true, await cleanup.DeleteTracesAsync(request.BaseIds, cancellationToken).ConfigureAwait(false));

        // One id at a time: the driver's count then tells which ids it held nothing of, without a read racing the delete.
        var deleted = 0;
        var missing = new List<string>();
        foreach (var id in request.BaseIds.Distinct(StringComparer.Ordinal))
        {
            if (await cleanup.DeleteTracesAsync([id], cancellationToken).ConfigureAwait(false) > 0) deleted++;
            else missing.Add(id);
        }
        return new DeleteTracesResult(true, deleted) { Missing = missing };
    }
}
