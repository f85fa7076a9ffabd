using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>Passwords, a server that is down, and the connection string's options.</summary>
public sealed class RedisConnectionTests(PasswordRedisServer server, Xunit.Abstractions.ITestOutputHelper output)
    : IClassFixture<PasswordRedisServer>
{
    private const string WrongPassword = "Wr0ng-Guess-xyz";

    private static IReadOnlyList<TracePoint> Trace(string baseId) =>
    [
        new()
        {
            Name = "wsgi-start", BaseId = baseId, TraceId = "op", ParentId = baseId,
            Timestamp = TraceTimestamp.UtcNow.ToString(), Info = new JsonObject { ["host"] = "h" },
        },
    ];

    /// <summary>A 30 s <c>socket_timeout</c>, for tests about what a failure says rather than how long it takes.</summary>
    private static DriverSettings Patient => new() { SocketTimeout = TimeSpan.FromSeconds(30) };

    private static ITraceStore Open(string url, DriverSettings? settings = null) =>
        new RedisDriver().Open(ConnectionString.Parse(url), settings ?? new DriverSettings());

    private static ITraceStore OpenSentinel(string url, DriverSettings? settings = null) =>
        new RedisSentinelDriver().Open(ConnectionString.Parse(url), settings ?? new DriverSettings());

    private static async Task<int> CountAsync(ITraceStore store, string baseId)
    {
        var n = 0;
        await foreach (var _ in store.ReadTraceAsync(baseId, CancellationToken.None)) n++;
        return n;
    }

    [Fact]
    public async Task A_password_protected_server_works_with_the_right_password()
    {
        await using var store = Open(server.Url());
        await store.WriteAsync(Trace("with-password"), CancellationToken.None);

        Assert.Equal(1, await CountAsync(store, "with-password"));
    }

    [Fact]
    public async Task A_wrong_password_fails_with_a_message_that_shows_neither_password()
    {
        // A connect that waits as a busy machine needs: with OSProfiler's 0.1 s (a 1 s connect), a loaded CI machine timed
        // out the handshake before the server's refusal of the password arrived, and the message named no password.
        await using var store = Open($"redis://:{WrongPassword}@127.0.0.1:{server.Port}/0", Patient);

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Trace("nope"), CancellationToken.None));
        output.WriteLine(e.Message);

        Assert.Contains($"127.0.0.1:{server.Port}", e.Message);
        Assert.Contains("password", e.Message, StringComparison.OrdinalIgnoreCase);
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            Assert.DoesNotContain(WrongPassword, x.Message);
            Assert.DoesNotContain(PasswordRedisServer.Secret, x.Message);
        }
        Assert.DoesNotContain(WrongPassword, e.ToString());
    }

    [Fact]
    public async Task No_password_for_a_protected_server_fails_clearly()
    {
        await using var store = Open($"redis://127.0.0.1:{server.Port}", Patient);

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.ListTracesAsync(new TraceListQuery(1), CancellationToken.None));
        output.WriteLine(e.Message);

        Assert.Contains($"127.0.0.1:{server.Port}", e.Message);
        Assert.DoesNotContain(PasswordRedisServer.Secret, e.ToString());
    }

    [Fact]
    public async Task A_down_server_fails_by_its_own_timeouts_naming_host_and_port_and_not_the_password()
    {
        var port = FreePort.Next(); // nothing listens here
        // Opening does not connect, so it succeeds with nothing listening.
        await using var store = Open($"redis://:{WrongPassword}@127.0.0.1:{port}/0");
        // A backstop far beyond the driver's connect timeout: a write that hung instead of failing would end in
        // OperationCanceledException here, not in the TraceStoreException asserted. (Speed is measured by profiler bench.)
        using var backstop = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Trace("down"), backstop.Token));
        output.WriteLine(e.Message);

        Assert.Contains($"127.0.0.1:{port}", e.Message);
        Assert.DoesNotContain(WrongPassword, e.ToString());
        // It keeps failing the same way, and reads fail too (a failed connect is not cached as a broken store).
        var again = await Assert.ThrowsAsync<TraceStoreException>(async () => await CountAsync(store, "down"));
        Assert.Contains($"127.0.0.1:{port}", again.Message);
    }

    [Fact]
    public async Task Down_sentinels_fail_by_the_drivers_own_timeouts_naming_them()
    {
        int a = FreePort.Next(), b = FreePort.Next();
        await using var store = OpenSentinel($"redissentinel://:{WrongPassword}@127.0.0.1:{a},127.0.0.1:{b}/0");
        // A backstop far beyond the driver's timeouts: hanging would be an OperationCanceledException, not the failure asserted.
        using var backstop = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Trace("down"), backstop.Token));
        output.WriteLine(e.Message);

        Assert.Contains($"127.0.0.1:{a},127.0.0.1:{b}", e.Message);
        Assert.Contains("mymaster", e.Message);
        Assert.DoesNotContain(WrongPassword, e.ToString());
    }

    [Fact]
    public async Task A_server_that_starts_after_the_store_was_opened_is_used_once_it_is_up()
    {
        var port = FreePort.Next();
        await using var store = Open($"redis://127.0.0.1:{port}");
        await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Trace("late"), CancellationToken.None));

        using var dir = new TempDirectory();
        using var late = ServerProcess.Start("late redis", ServerProcess.Require("redis-server", "redis-server"),
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.Path], port);
        await store.WriteAsync(Trace("late"), CancellationToken.None);

        Assert.Equal(1, await CountAsync(store, "late"));
    }

    [Fact]
    public void Query_options_override_the_driver_settings()
    {
        var options = RedisStoreOptions.Create(
            ConnectionString.Parse("redissentinel://:pw@10.0.0.1,10.0.0.2:5000/3?socket_timeout=0.5&sentinel_service_name=other&filter_error_trace=true"),
            new DriverSettings { SocketTimeout = TimeSpan.FromSeconds(3), SentinelServiceName = "ignored" });

        Assert.Equal(TimeSpan.FromSeconds(0.5), options.SocketTimeout);
        Assert.Equal("other", options.ServiceName);
        Assert.True(options.FilterErrorTrace);
        Assert.Equal(3, options.Database);
        Assert.Equal([new HostPort("10.0.0.1", 26379), new HostPort("10.0.0.2", 5000)], options.Endpoints);

        var defaults = RedisStoreOptions.Create(ConnectionString.Parse("redis://h"), new DriverSettings());
        Assert.Equal((TimeSpan.FromSeconds(0.1), "mymaster", false, 0), (defaults.SocketTimeout, defaults.ServiceName, defaults.FilterErrorTrace, defaults.Database));
        Assert.Equal([new HostPort("h", 6379)], defaults.Endpoints);
        Assert.True(RedisStoreOptions.Create(ConnectionString.Parse("rediss://h:6380"), new DriverSettings()).Tls);
    }

    [Theory]
    [InlineData("redis://:pw@h/abc", "database 'abc'")]
    [InlineData("redis://:pw@h?bogus=1", "'bogus'")]
    [InlineData("redis://:pw@h?socket_timeout=soon", "socket_timeout='soon'")]
    [InlineData("redis://:pw@h1,h2/2", "only database 0")]
    [InlineData("redissentinel://:pw@h?sentinel_service_name=", "service name ''")]
    public void A_connection_string_the_driver_cannot_use_is_a_format_error_naming_the_value(string url, string expected)
    {
        var cs = ConnectionString.Parse(url);
        var e = Assert.Throws<FormatException>(() =>
            (cs.Scheme == "redissentinel" ? (ITraceStoreDriver)new RedisSentinelDriver() : new RedisDriver()).Open(cs, new DriverSettings()));

        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain(":pw@", e.Message);
    }
}
