using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Profiler.Storage;
using Profiler.Instrumentation;

namespace Profiler.Instrumentation;

/// <summary>
/// Starts the instrumentation with the host (checks a store is registered, makes the notifier
/// <see cref="TraceProfiler.DefaultSink"/>, starts the <see cref="ActivityBridge"/>) and flushes buffered points at
/// shutdown, waiting at most <see cref="ProfilerOptions.FlushTimeout"/>.
/// </summary>
internal sealed class ProfilerHostedService(IServiceProvider services, ProfilerOptions options, TraceNotifier notifier,
    ILogger<ProfilerHostedService>? logger = null) : IHostedService
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private ActivityBridge? _bridge;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled) return Task.CompletedTask;
        if (services.GetService<IServiceProviderIsService>() is { } isService && !isService.IsService(typeof(ITraceStore)))
            throw new InvalidOperationException(
                "AddProfiler found no ITraceStore registration: register the store trace points go to, e.g. "
                + "services.AddTraceStore(connectionString) with the profiler's connection_string, before the host starts.");
        if (options.HmacKeys.Count == 0)
            _logger.LogWarning("Profiler: enabled but no hmac_keys are configured, so no request will be traced");
        TraceProfiler.DefaultSink = notifier;
        if (options.ActivitySources.Count > 0) _bridge = new ActivityBridge(options.ActivitySources);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _bridge?.Dispose();
        _bridge = null;
        if (ReferenceEquals(TraceProfiler.DefaultSink, notifier)) TraceProfiler.DefaultSink = NullTraceEventSink.Instance;
        try
        {
            if (!await notifier.FlushAsync(options.FlushTimeout, cancellationToken).ConfigureAwait(false))
                _logger.LogWarning("Profiler: {Count} trace points were still waiting to be stored at shutdown", notifier.QueuedCount);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("Profiler: shutdown cut the flush short; {Count} trace points were waiting", notifier.QueuedCount);
        }
    }
}
