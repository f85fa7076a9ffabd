using System.Diagnostics;
using Profiler.Domain;
using Profiler.Infrastructure.Redis;
using Profiler.Instrumentation;
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
    /// <summary>The least an outage lasts; it goes on until it took effect (see <see cref="WhileDownAsync"/>).</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Calls the service must make while the store is down and its writes fail. A call into the profiler only queues in
    /// memory; one that waited on the store (its 1 s connect or 2 s operation timeout, or the server's return) would
    /// take hours to make this many with six writers, so <see cref="WhileDownAsync"/> would run out of patience.
    /// </summary>
    internal const int MinCallsWhileDown = 1_000;

    /// <summary>Waits (no fixed time) until the traffic's first points reached the store: the kill comes after that.</summary>
    internal static Task TrafficStoredAsync(TraceNotifier notifier) =>
        Waiting.UntilAsync(() => notifier.SentCount > 0, "the traffic's first points to be stored before the outage",
            state: () => $"{notifier.QueuedCount} queued, {notifier.FailedAttempts} failed attempts");

    /// <summary>
    /// Keeps the store down (at least <paramref name="atLeast"/>) until the outage took effect, however long a busy
    /// machine takes for it (<paramref name="patience"/>, default <see cref="Waiting.Patience"/>): a write failed after the store went down (<paramref name="failedBefore"/> attempts had
    /// failed before), the service made <see cref="MinCallsWhileDown"/> calls meanwhile, and <paramref name="also"/> holds.
    /// </summary>
    internal static async Task WhileDownAsync(TraceNotifier notifier, Traffic traffic, long failedBefore, TimeSpan atLeast,
        Func<bool>? also = null, string? alsoWhat = null, TimeSpan? patience = null)
    {
        await Task.Delay(atLeast);
        await Waiting.UntilAsync(
            () => notifier.FailedAttempts > failedBefore && traffic.CallsWhileDown >= MinCallsWhileDown && (also?.Invoke() ?? true),
            $"the outage to take effect: a failed write, {MinCallsWhileDown} calls while down{(alsoWhat is null ? "" : ", " + alsoWhat)}",
            patience, () => $"{notifier.FailedAttempts - failedBefore} failed attempts since the store went down, " +
                            $"{traffic.CallsWhileDown} calls while down, {notifier.DroppedCount} points dropped");
    }

    /// <summary>Waits (no fixed time) until the store took points again after it came back, traffic still running.</summary>
    internal static Task StoredAgainAsync(TraceNotifier notifier)
    {
        var sent = notifier.SentCount;
        return Waiting.UntilAsync(() => notifier.SentCount > sent, "the store to take points again after it came back",
            state: () => $"{notifier.QueuedCount} queued, {notifier.FailedAttempts} failed attempts");
    }

    /// <summary>
    /// No call waited for the store: while it was down (and writes failed) the service went on making calls, at least
    /// <see cref="MinCallsWhileDown"/> (which the outage waited for, within <see cref="Waiting.Patience"/>). Per-call
    /// latency is printed and measured by <c>profiler bench overhead</c>, not asserted here: a busy machine may pause any
    /// thread for longer than a call should take.
    /// </summary>
    internal static void AssertNoCallBlocked(Traffic traffic) =>
        Assert.True(traffic.CallsWhileDown >= MinCallsWhileDown,
            $"only {traffic.CallsWhileDown} calls were made while the store was down: calls waited for the store");

    private static ITraceStore Open(RedisProcess redis) =>
        new RedisDriver().Open(ConnectionString.Parse(redis.Url()), new DriverSettings());

    /// <summary>A store for reading back what the service stored (<see cref="Patient"/> settings).</summary>
    private static ITraceStore Reader(RedisProcess redis) =>
        new RedisDriver().Open(ConnectionString.Parse(redis.Url()), Patient.Settings);

    private static async Task<(Traffic Traffic, TimeSpan Down)> RunOutageAsync(RedisProcess redis, ProfiledService service,
        Func<bool>? also = null, string? alsoWhat = null)
    {
        var traffic = new Traffic(service.Notifier);
        traffic.Start(threads: 3, asyncFlows: 3);
        await TrafficStoredAsync(service.Notifier);

        var failedBefore = service.Notifier.FailedAttempts;
        redis.Kill();
        var down = Stopwatch.StartNew();
        traffic.StoreDown = true;
        await WhileDownAsync(service.Notifier, traffic, failedBefore, Outage, also, alsoWhat);
        redis.Restart();
        traffic.StoreDown = false;
        down.Stop();

        await StoredAgainAsync(service.Notifier);
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
        await using var reader = Reader(redis);
        var stored = await StoredCount.ReadAsync(reader, traffic.Generated.Keys);

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
        Assert.True(service.Notifier.FailedAttempts > 0, "the store never failed: the outage did not happen");
        AssertNoCallBlocked(traffic);
        Assert.Equal(0, service.Notifier.DroppedCount);
        Assert.Equal(0, service.Notifier.RejectedCount);
        Assert.Equal(generated, stored.Distinct);
        Assert.Equal(0, stored.Unreadable);
        Assert.Equal(0, stored.BrokenNodes);
        Assert.Contains(service.Logs.Lines, l => l.Contains("storing") && l.Contains("failed"));
        // Logged just after the recovering batch counts as sent: wait for the line rather than assume it is there.
        await Waiting.UntilAsync(() => service.Logs.Lines.Any(l => l.Contains("works again")), "the notifier to log that the store works again",
            state: () => string.Join("\n", service.Logs.Lines.TakeLast(5)));
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
            // The buffer of 2,000 fills while the store is down: the outage lasts until points were dropped.
            (traffic, down) = await RunOutageAsync(redis, service, () => service.Notifier.DroppedCount > 0, "points dropped");
            Assert.True(await service.Notifier.FlushAsync(TimeSpan.FromSeconds(60)), $"not flushed: {service.Notifier.QueuedCount} queued");
            dropped = service.Notifier.DroppedCount;
        }
        finally
        {
            // Disposing the notifier reports the drops not yet logged.
            await service.DisposeAsync();
        }
        await using var reader = Reader(redis);
        var stored = await StoredCount.ReadAsync(reader, traffic.Generated.Keys);
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
