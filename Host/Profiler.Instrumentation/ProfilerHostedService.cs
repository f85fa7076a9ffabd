using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Profiler.Storage;

namespace Profiler.Instrumentation;

/// <summary>
/// Starts the instrumentation with the host when <see cref="ProfilerOptions.Enabled"/>: opens the store (so a missing
/// or unknown driver fails the start, not the first point; drivers connect in the background), makes the notifier
/// <see cref="TraceProfiler.DefaultSink"/>, starts the <see cref="ActivityBridge"/>; and flushes buffered points at
/// shutdown, waiting at most <see cref="ProfilerOptions.FlushTimeout"/> (or until the host's shutdown token is cancelled):
/// that deadline is the notifier's too (<see cref="TraceNotifier.FlushForShutdownAsync"/>), so its disposal by the
/// container waits no further. When not enabled it opens nothing.
/// </summary>
internal sealed class ProfilerHostedService(IServiceProvider services, IOptions<ProfilerOptions> options,
    ILogger<ProfilerHostedService>? logger = null) : IHostedService, IDisposable, IAsyncDisposable
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private ActivityBridge? _bridge;
    private TraceNotifier? _notifier;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled) return Task.CompletedTask;
        // Opening does not wait for the network: drivers connect in the background.
        services.GetRequiredService<ITraceStore>();
        var notifier = services.GetRequiredService<TraceNotifier>();
        if (o.HmacKeys.Count == 0) Log.NoHmacKeys(_logger);
        TraceProfiler.DefaultSink = notifier;
        _notifier = notifier;
        if (o.ActivitySources.Count > 0) _bridge = new ActivityBridge(o.ActivitySources);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var notifier = Detach();
        if (notifier is null) return;
        try
        {
            // One deadline for the whole shutdown: the container's disposal of the notifier waits no longer than this.
            if (!await notifier.FlushForShutdownAsync(options.Value.FlushTimeout, cancellationToken).ConfigureAwait(false))
                Log.PointsLeftAtShutdown(_logger, notifier.QueuedCount);
        }
        catch (OperationCanceledException)
        {
            Log.FlushCutShort(_logger, notifier.QueuedCount);
        }
    }

    /// <summary>Stops the bridge and the default sink; the notifier itself is the container's to dispose (it flushes then).</summary>
    public void Dispose() => Detach();

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Detach();
        return ValueTask.CompletedTask;
    }

    private TraceNotifier? Detach()
    {
        Interlocked.Exchange(ref _bridge, null)?.Dispose();
        var notifier = Interlocked.Exchange(ref _notifier, null);
        if (notifier is not null && ReferenceEquals(TraceProfiler.DefaultSink, notifier)) TraceProfiler.DefaultSink = NullTraceEventSink.Instance;
        return notifier;
    }
}
