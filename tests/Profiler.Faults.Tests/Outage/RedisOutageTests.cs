using System.Diagnostics;
using Profiler.Domain;
using Profiler.Infrastructure.Redis;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Outage;

/// <summary>
/// Issue 8: an instrumented service keeps running, unblocked, while its Redis store is killed and restarted under
/// traffic; what its buffer held reaches the store once the server is back, and what did not fit is counted.
/// The redis-server keeps an append-only file fsynced on every write (<see cref="RedisProcess"/> durable), so
/// every point it acknowledged before the kill is still there after the restart: a loss would be the profiler's.
/// </summary>
public sealed class RedisOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Most a call into the profiler may take: it only queues in memory, so a call that waited on the store would take
    /// at least its 1 s connect or 2 s operation timeout. Not lower: on this shared 2-core machine a thread can wait
    /// for a core, or for a GC that copies the buffered events, for tens of milliseconds.
    /// </summary>
    internal static readonly TimeSpan MaxCall = TimeSpan.FromMilliseconds(250);

    /// <summary>Calls over 50 ms (scheduling and GC pauses) may be at most this share of the calls made while the store is down.</summary>
    internal const double MaxShareOver50Ms = 0.001;

    internal static void AssertNoCallBlocked(Traffic traffic)
    {
        Assert.True(traffic.MaxCallWhileDown < MaxCall, $"a call took {Figures.Ms(traffic.MaxCallWhileDown)} while the store was down");
        Assert.True(traffic.CallsOver50MsWhileDown <= traffic.CallsWhileDown * MaxShareOver50Ms,
            $"{traffic.CallsOver50MsWhileDown} of {traffic.CallsWhileDown} calls took over 50 ms while the store was down");
    }

    private static ITraceStore Open(RedisProcess redis) =>
        new RedisDriver().Open(ConnectionString.Parse(redis.Url()), new DriverSettings());

    private static async Task<(Traffic Traffic, TimeSpan Down)> RunOutageAsync(RedisProcess redis, ProfiledService service)
    {
        var traffic = new Traffic(service.Notifier);
        traffic.Start(threads: 3, asyncFlows: 3);
        await Task.Delay(1500);

        redis.Kill();
        var down = Stopwatch.StartNew();
        traffic.StoreDown = true;
        await Task.Delay(Outage);
        redis.Restart();
        traffic.StoreDown = false;
        down.Stop();

        await Task.Delay(1500);
        await traffic.StopAsync();
        return (traffic, down.Elapsed);
    }

    [Fact]
    public async Task A_five_second_Redis_outage_under_traffic_blocks_no_call_and_loses_no_point_the_buffer_held()
    {
        using var redis = new RedisProcess(durable: true);
        await using var store = Open(redis);
        await using var service = new ProfiledService(store, bufferSize: 1_000_000);

        var (traffic, down) = await RunOutageAsync(redis, service);
        var flushed = Stopwatch.StartNew();
        Assert.True(await service.Notifier.FlushAsync(TimeSpan.FromSeconds(60)), $"not flushed: {service.Notifier.QueuedCount} queued");
        flushed.Stop();
        var stored = await StoredCount.ReadAsync(store, traffic.Generated.Keys);

        var generated = traffic.GeneratedTotal;
        Figures.Print(output, "Redis killed and restarted under traffic (buffer 1,000,000):",
            ("outage", Figures.Ms(down)),
            ("writers", "3 threads + 3 async flows"),
            ("traces", traffic.Generated.Count),
            ("points generated", generated),
            ("points stored (distinct)", stored.Distinct),
            ("points lost", generated - stored.Distinct),
            ("points stored twice", stored.Duplicates),
            ("points dropped", service.Notifier.DroppedCount),
            ("failed store attempts", service.Notifier.FailedAttempts),
            ("calls timed", traffic.Calls),
            ("calls while down", traffic.CallsWhileDown),
            ("calls over 10 ms", traffic.SlowCalls),
            ("max call", Figures.Ms(traffic.MaxCall)),
            ("max call while down", Figures.Ms(traffic.MaxCallWhileDown)),
            ("calls over 50 ms while down", traffic.CallsOver50MsWhileDown),
            ("GC pauses (process total)", Figures.Ms(GC.GetTotalPauseDuration())),
            ("flush after restart", Figures.Ms(flushed.Elapsed)),
            ("exceptions", traffic.Errors.Count),
            ("incomplete nodes", stored.BrokenNodes));

        Assert.Empty(traffic.Errors);
        Assert.True(traffic.CallsWhileDown > 1000, $"only {traffic.CallsWhileDown} calls while the store was down");
        Assert.True(service.Notifier.FailedAttempts > 0, "the store never failed: the outage did not happen");
        AssertNoCallBlocked(traffic);
        Assert.Equal(0, service.Notifier.DroppedCount);
        Assert.Equal(0, service.Notifier.RejectedCount);
        Assert.Equal(generated, stored.Distinct);
        Assert.Equal(0, stored.Unreadable);
        Assert.Equal(0, stored.BrokenNodes);
        Assert.Contains(service.Logs.Lines, l => l.Contains("storing") && l.Contains("failed"));
        Assert.Contains(service.Logs.Lines, l => l.Contains("works again"));
    }

    [Fact]
    public async Task With_a_small_buffer_an_outage_drops_points_counts_and_logs_them_and_stores_the_rest()
    {
        using var redis = new RedisProcess(durable: true);
        await using var store = Open(redis);
        var service = new ProfiledService(store, bufferSize: 2_000);
        Traffic traffic;
        TimeSpan down;
        long dropped;
        try
        {
            (traffic, down) = await RunOutageAsync(redis, service);
            Assert.True(await service.Notifier.FlushAsync(TimeSpan.FromSeconds(60)), $"not flushed: {service.Notifier.QueuedCount} queued");
            dropped = service.Notifier.DroppedCount;
        }
        finally
        {
            // Disposing the notifier reports the drops not yet logged.
            await service.DisposeAsync();
        }
        var stored = await StoredCount.ReadAsync(store, traffic.Generated.Keys);
        var generated = traffic.GeneratedTotal;

        Figures.Print(output, "Redis killed and restarted under traffic (buffer 2,000):",
            ("outage", Figures.Ms(down)),
            ("points generated", generated),
            ("points stored (distinct)", stored.Distinct),
            ("points dropped (counted)", dropped),
            ("stored + dropped", stored.Distinct + dropped),
            ("points lost uncounted", generated - stored.Distinct - dropped),
            ("points stored twice", stored.Duplicates),
            ("max call", Figures.Ms(traffic.MaxCall)),
            ("max call while down", Figures.Ms(traffic.MaxCallWhileDown)),
            ("exceptions", traffic.Errors.Count),
            ("nodes missing start/stop", stored.BrokenNodes));
        foreach (var line in service.Logs.Lines.Where(l => l.Contains("dropped"))) output.WriteLine("  log: " + line);

        Assert.Empty(traffic.Errors);
        AssertNoCallBlocked(traffic);
        Assert.True(dropped > 0, "nothing was dropped: the buffer was not small enough for the outage");
        Assert.Equal(generated, stored.Distinct + dropped);
        Assert.Equal(0, stored.Unreadable);
        Assert.Contains(service.Logs.Lines, l => l.Contains($"({dropped} in all)"));
    }
}
