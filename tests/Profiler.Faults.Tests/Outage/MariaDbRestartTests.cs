using System.Diagnostics;
using Profiler.Domain;
using Profiler.Infrastructure.Sql;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Outage;

/// <summary>
/// Issue 8: MariaDB killed and restarted under traffic. The service's calls never block or throw; every point the
/// notifier held reaches the database once it is back (InnoDB keeps what it committed before the kill).
/// </summary>
public sealed class MariaDbRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_MariaDB_restart_under_traffic_blocks_no_call_and_loses_no_point_the_buffer_held()
    {
        using var server = new MariaDbServer();
        await using var store = new MySqlDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase())), new DriverSettings());
        await using var service = new ProfiledService(store, bufferSize: 1_000_000);
        var traffic = new Traffic(service.Notifier);
        traffic.Start(threads: 2, asyncFlows: 2);
        await RedisOutageTests.TrafficStoredAsync(service.Notifier);

        var failedBefore = service.Notifier.FailedAttempts;
        server.Kill();
        var down = Stopwatch.StartNew();
        traffic.StoreDown = true;
        // The outage is real only once a write has failed: on a busy machine the notifier may not have tried the dead
        // server for a while. It lasts until then (and until the service made its calls meanwhile), whatever that takes.
        await RedisOutageTests.WhileDownAsync(service.Notifier, traffic, failedBefore, atLeast: TimeSpan.FromSeconds(5),
            patience: TimeSpan.FromMinutes(5));
        server.Restart();
        traffic.StoreDown = false;
        down.Stop();
        await RedisOutageTests.StoredAgainAsync(service.Notifier);
        await traffic.StopAsync();

        Assert.True(await service.Notifier.FlushAsync(TimeSpan.FromSeconds(120)), $"not flushed: {service.Notifier.QueuedCount} queued");
        var stored = await StoredCount.ReadAsync(store, traffic.Generated.Keys);
        var generated = traffic.GeneratedTotal;
        Figures.Print(output, "MariaDB killed and restarted under traffic (buffer 1,000,000):",
            ("outage", Figures.Ms(down.Elapsed)),
            ("points generated", generated),
            ("points stored (distinct)", stored.Distinct),
            ("points lost", generated - stored.Distinct),
            ("points stored twice", stored.Duplicates),
            ("points dropped", service.Notifier.DroppedCount),
            ("failed store attempts", service.Notifier.FailedAttempts),
            ("calls while down", traffic.CallsWhileDown),
            ("max call while down", Figures.Ms(traffic.MaxCallWhileDown)),
            ("exceptions", traffic.Errors.Count));

        Assert.Empty(traffic.Errors);
        Assert.True(service.Notifier.FailedAttempts > 0, "the store never failed: the outage did not happen");
        RedisOutageTests.AssertNoCallBlocked(traffic);
        Assert.Equal(0, service.Notifier.DroppedCount);
        Assert.Equal(generated, stored.Distinct);
        Assert.Equal(0, stored.BrokenNodes);
    }
}
