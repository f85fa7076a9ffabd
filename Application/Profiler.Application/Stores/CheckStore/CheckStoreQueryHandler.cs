using System.Globalization;
using MediatR;
using Profiler.Storage;

namespace Profiler.Application.Stores.CheckStore;

public sealed class CheckStoreQueryHandler(ITraceStore store) : IRequestHandler<CheckStoreQuery, StoreHealth>
{
    /// <summary>A base id no trace has: reading it touches the store through its index and returns nothing.</summary>
    public const string ProbeId = "profiler-health-probe";

    public async Task<StoreHealth> Handle(CheckStoreQuery request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(request.Timeout);
        try
        {
            await foreach (var _ in store.ReadTraceAsync(ProbeId, timeout.Token).ConfigureAwait(false)) break;
            return StoreHealth.Healthy;
        }
        catch (TraceStoreException e)
        {
            return new StoreHealth(false, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new StoreHealth(false,
                $"the store did not answer within {request.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s");
        }
    }
}
