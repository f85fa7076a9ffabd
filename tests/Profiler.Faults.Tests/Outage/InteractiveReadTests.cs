using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Hosting;
using Profiler.Infrastructure.Redis;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Faults.Tests.Outage;

/// <summary>
/// Issue 14: reads that survive a busy machine. The commands and the web shell open stores with
/// <see cref="InteractiveReads"/> (a 10 s network timeout instead of OSProfiler's 0.1 s); a reply the server sends
/// late (held back by a <see cref="FaultProxy"/>) still arrives in time, and one later than the timeout fails with a
/// message that names the timeout to raise and its value.
/// </summary>
public sealed class InteractiveReadTests
{
    private static readonly DateTime At = new(2026, 11, 29, 12, 0, 0, DateTimeKind.Utc);

    private static async Task<RedisProcess> ServerWithTraceAsync(string baseId)
    {
        var redis = new RedisProcess();
        await using var writer = new RedisDriver().Open(ConnectionString.Parse(redis.Url()), Patient.Settings);
        await writer.WriteAsync(
        [
            new TracePoint { Name = "db-start", BaseId = baseId, TraceId = "op", ParentId = baseId, Timestamp = TraceTimestamp.FromDateTime(At).ToString(), Info = new JsonObject() },
            new TracePoint { Name = "db-stop", BaseId = baseId, TraceId = "op", ParentId = baseId, Timestamp = TraceTimestamp.FromDateTime(At.AddMilliseconds(1)).ToString(), Info = new JsonObject() },
        ], CancellationToken.None);
        return redis;
    }

    private static async Task<int> CountAsync(ITraceStore store, string baseId)
    {
        var n = 0;
        await foreach (var _ in store.ReadTraceAsync(baseId, CancellationToken.None)) n++;
        return n;
    }

    [Fact]
    public async Task A_reply_later_than_the_services_timeout_but_within_the_interactive_one_is_read()
    {
        using var redis = await ServerWithTraceAsync("slow-read");
        await using var proxy = new FaultProxy(redis.Port);
        var url = ConnectionString.Parse($"redis://127.0.0.1:{proxy.Port}/0");
        await using var interactive = new RedisDriver().Open(url, InteractiveReads.Apply(null));
        await using var service = new RedisDriver().Open(url, new DriverSettings());
        // Connected (and the handshake answered) before replies are held back.
        Assert.Equal(2, await CountAsync(interactive, "slow-read"));
        Assert.Equal(2, await CountAsync(service, "slow-read"));

        // Far over OSProfiler's 0.1 s, and over the 2 s the driver's operations wait at least, yet within 10 s.
        proxy.ReplyDelay = TimeSpan.FromSeconds(3);

        Assert.Equal(2, await CountAsync(interactive, "slow-read"));
        // The same read with the service's settings times out twice and says what to raise.
        var e = await Assert.ThrowsAsync<TraceStoreException>(() => CountAsync(service, "slow-read"));
        Assert.Contains("raise socket_timeout (now 0.1 s", e.Message);
    }

    [Fact]
    public async Task A_reply_later_than_the_interactive_timeout_fails_naming_socket_timeout_and_its_value()
    {
        using var redis = await ServerWithTraceAsync("too-slow");
        await using var proxy = new FaultProxy(redis.Port);
        // The connection string's own socket_timeout wins over the interactive default (here lower, to keep the test short).
        await using var store = new RedisDriver().Open(
            ConnectionString.Parse($"redis://127.0.0.1:{proxy.Port}/0?socket_timeout=2.5"), InteractiveReads.Apply(null));
        Assert.Equal(2, await CountAsync(store, "too-slow"));

        proxy.ReplyDelay = TimeSpan.FromSeconds(6);

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => CountAsync(store, "too-slow"));
        Assert.Contains("did not answer within 2.5 s", e.Message);
        Assert.Contains("raise socket_timeout (now 2.5 s", e.Message);
    }

    [Fact]
    public void Interactive_settings_raise_the_timeout_to_ten_seconds_and_keep_everything_else()
    {
        var given = new DriverSettings { Project = "p", Service = "s", Host = "h", FilterErrorTrace = true, Ttl = TimeSpan.FromDays(1) };

        var applied = InteractiveReads.Apply(given);

        Assert.Equal(TimeSpan.FromSeconds(10), applied.SocketTimeout);
        Assert.Equal(("p", "s", "h", true, TimeSpan.FromDays(1)), (applied.Project, applied.Service, applied.Host, applied.FilterErrorTrace, applied.Ttl));
        Assert.Equal(TimeSpan.FromSeconds(30), InteractiveReads.Apply(new DriverSettings { SocketTimeout = TimeSpan.FromSeconds(30) }).SocketTimeout);
        Assert.Equal(TimeSpan.FromSeconds(0.1), new DriverSettings().SocketTimeout);
    }
}
