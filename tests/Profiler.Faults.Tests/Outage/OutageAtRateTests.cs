using System.Diagnostics;
using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Infrastructure.Redis;
using Profiler.Instrumentation;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Outage;

/// <summary>
/// Issue 14: with the notifier's defaults (buffer <see cref="TraceNotifierOptions.DefaultBufferSize"/>, retries with
/// jittered backoff at most <see cref="TraceNotifierOptions.MaxRetryDelay"/> apart), a 10-second Redis outage at 1,500
/// points/s drops nothing: the buffer must hold 1,500 × (10 s + the longest retry gap) = 18,000 points, where the old
/// default of 10,000 would have dropped a third of them. The server is stopped and started again on the same port;
/// its append-only file is fsynced on every write, so what it acknowledged survives.
/// </summary>
public sealed class OutageAtRateTests(ITestOutputHelper output)
{
    private const int PointsPerSecond = 1_500;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_ten_second_outage_at_1500_points_a_second_drops_nothing_with_the_default_buffer()
    {
        using var redis = new RedisProcess(durable: true);
        await using var store = new RedisDriver().Open(ConnectionString.Parse(redis.Url()), new DriverSettings());
        await using var service = new ProfiledService(store, bufferSize: null);
        var notifier = service.Notifier;
        // No buffer_size configured: the service runs with the default.
        Assert.Equal(TraceNotifierOptions.DefaultBufferSize, new ProfilerOptions().BufferSize);

        // Points are emitted on a schedule of 1,500 a second: a generator held up by a busy machine catches up in a burst,
        // so the count the outage adds to the buffer does not depend on the machine's speed. The schedule's clock stops
        // while the test holds it (a slow restart on a busy machine would otherwise make the outage longer than 10 s).
        var baseIds = new List<string>();
        using var stop = new CancellationTokenSource();
        long emitted = 0;
        var peakQueued = 0;
        var holding = 0;
        long heldTicks = 0;
        var generator = Task.Run(async () =>
        {
            var start = Stopwatch.GetTimestamp();
            TraceProfiler? profiler = null;
            var inTrace = 0;
            while (!stop.IsCancellationRequested)
            {
                peakQueued = Math.Max(peakQueued, notifier.QueuedCount);
                if (Volatile.Read(ref holding) == 1)
                {
                    await Task.Delay(10);
                    continue;
                }
                var scheduled = Stopwatch.GetElapsedTime(start) - TimeSpan.FromTicks(Interlocked.Read(ref heldTicks));
                var due = (long)(scheduled.TotalSeconds * PointsPerSecond);
                while (emitted + 2 <= due)
                {
                    if (profiler is null || inTrace == 200)
                    {
                        profiler = new TraceProfiler("SECRET_KEY", notifier);
                        lock (baseIds) baseIds.Add(profiler.BaseId);
                        inTrace = 0;
                    }
                    using (profiler.Trace("request", new JsonObject { ["n"] = emitted })) { }
                    emitted += 2;
                    inTrace++;
                }
                peakQueued = Math.Max(peakQueued, notifier.QueuedCount);
                await Task.Delay(10);
            }
        });

        await RedisOutageTests.TrafficStoredAsync(notifier);
        var attemptsBefore = notifier.FailedAttempts;
        redis.Kill();
        await Task.Delay(Outage);
        // 10 s of points are emitted while the store is down; the schedule holds while the test waits for a failed
        // write (the outage took effect) and while the server restarts, whatever those take on a busy machine.
        var held = Stopwatch.StartNew();
        Volatile.Write(ref holding, 1);
        await Waiting.UntilAsync(() => notifier.FailedAttempts > attemptsBefore, "a write to fail while the store is down");
        redis.Restart();
        Interlocked.Add(ref heldTicks, held.Elapsed.Ticks);
        Volatile.Write(ref holding, 0);
        await RedisOutageTests.StoredAgainAsync(notifier);
        await stop.CancelAsync();
        await generator;

        Assert.True(await notifier.FlushAsync(TimeSpan.FromMinutes(2)), $"not flushed: {notifier.QueuedCount} queued");
        await using var reader = new RedisDriver().Open(ConnectionString.Parse(redis.Url()), Patient.Settings);
        var stored = await StoredCount.ReadAsync(reader, baseIds);
        Figures.Print(output, "Redis stopped for 10 s and started again, 1,500 points/s, default buffer:",
            ("points emitted", emitted),
            ("peak queued", peakQueued),
            ("buffer", TraceNotifierOptions.DefaultBufferSize),
            ("points stored (distinct)", stored.Distinct),
            ("points stored twice", stored.Duplicates),
            ("points dropped", notifier.DroppedCount),
            ("failed store attempts", notifier.FailedAttempts));

        Assert.True(notifier.FailedAttempts > attemptsBefore, "the store never failed: the outage did not happen");
        Assert.True(peakQueued > 10_000, $"only {peakQueued} points were ever queued: the outage did not fill the buffer as the arithmetic says");
        Assert.Equal(0, notifier.DroppedCount);
        Assert.Equal(emitted, notifier.SentCount);
        Assert.Equal(emitted, stored.Distinct);
        Assert.Equal(0, stored.Duplicates);
    }
}
