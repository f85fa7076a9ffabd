using MediatR;
using Profiler.Application.Common;
using Profiler.Storage;

namespace Profiler.Application.Traces.PinTrace;

public sealed class PinTraceCommandHandler(ITraceStore store) : IRequestHandler<PinTraceCommand, PinTraceResult>
{
    public async Task<PinTraceResult> Handle(PinTraceCommand request, CancellationToken cancellationToken)
    {
        if (store is not ITraceStorePinning pinning)
            throw new CapabilityNotSupportedException("pinning traces", nameof(ITraceStorePinning));
        return new PinTraceResult(await pinning.SetPinnedAsync(request.BaseId, request.Pinned, cancellationToken).ConfigureAwait(false));
    }
}
