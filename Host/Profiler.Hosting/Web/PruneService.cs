using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// Background retention of the web shell: when <see cref="WebShellOptions.Ttl"/> is set and the store implements
/// <see cref="ITraceStorePruning"/>, prunes traces whose newest point is older than the ttl, first
/// <see cref="WebShellOptions.PruneFirstDelay"/> after start, then every <see cref="WebShellOptions.PruneInterval"/>.
/// A store failure is logged (redacted) and retried at the next interval; it never stops the shell.
/// </summary>
internal sealed class PruneService(ITraceStore store, WebShellOptions options, SecretRedactor redactor, ILogger<PruneService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Ttl is not { } ttl) return;
        if (store is not ITraceStorePruning pruning)
        {
            WebLog.PruneNotSupported(logger, ttl, LifecycleEndpoints.DriverName(options));
            return;
        }
        try
        {
            await DelayAsync(options.PruneFirstDelay, stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                await PruneOnceAsync(pruning, ttl, stoppingToken).ConfigureAwait(false);
                await DelayAsync(options.PruneInterval, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>
    /// Waits <paramref name="delay"/>, however long: <see cref="Task.Delay(TimeSpan, CancellationToken)"/> refuses more
    /// than about 49.7 days (a timer's milliseconds are 32-bit), and a <c>--prune-interval</c> of 60 days is a
    /// reasonable one beside a ttl of a year; so the wait runs in steps of at most a day.
    /// </summary>
    internal static async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var step = TimeSpan.FromDays(1);
        for (var left = delay; left > TimeSpan.Zero; left -= step)
            await Task.Delay(left < step ? left : step, cancellationToken).ConfigureAwait(false);
    }

    private async Task PruneOnceAsync(ITraceStorePruning pruning, TimeSpan ttl, CancellationToken stoppingToken)
    {
        try
        {
            var removed = await pruning.PruneAsync(DateTime.UtcNow - ttl, dryRun: false, stoppingToken).ConfigureAwait(false);
            WebLog.Pruned(logger, removed.Traces, removed.Points, ttl);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            WebLog.PruneFailed(logger, options.PruneInterval, redactor.Redact(e.Message));
        }
    }
}
