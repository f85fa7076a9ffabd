using System.Globalization;
using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>A redis-server replicating <c>masterPort</c>: it refuses writes (<c>READONLY</c>).</summary>
public sealed class ReplicaRedisServer(int masterPort)
    : RedisServer(null, "--replicaof", "127.0.0.1", masterPort.ToString(CultureInfo.InvariantCulture));

/// <summary>
/// Redis failures recognised by StackExchange.Redis's typed exceptions and their status (never by message text), on a
/// real redis-server: keys of the wrong type, ACLs, a read-only replica.
/// </summary>
public sealed class RedisFailureTests(RedisServer server, ITestOutputHelper output) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly DateTime At = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    public async Task InitializeAsync()
    {
        await server.FlushAsync();
        foreach (var user in new[] { "noscripts", "nowrites", "nosummaries", "notrim" })
            await server.Db().ExecuteAsync("ACL", "DELUSER", user);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static TracePoint Point(string baseId, string name, DateTime at, bool failed = false) => new()
    {
        Name = name, BaseId = baseId, TraceId = "op", ParentId = baseId,
        Timestamp = TraceTimestamp.FromDateTime(at).ToString(),
        Info = failed ? new JsonObject { ["host"] = "node-1", ["etype"] = "ValueError" } : new JsonObject { ["host"] = "node-1" },
    };

    private ITraceStore OpenAs(string user, string password, TestOutputLoggerFactory? logging = null) =>
        new RedisDriver().Open(ConnectionString.Parse($"redis://{user}:{password}@127.0.0.1:{server.Port}/0"),
            logging is null ? new DriverSettings() : new DriverSettings { LoggerFactory = logging });

    [Fact]
    public async Task Keys_of_another_type_under_the_schemas_prefixes_are_skipped_by_every_listing()
    {
        await using var store = server.Open(new DriverSettings { FilterErrorTrace = true });
        await store.WriteAsync([Point("good", "db-start", At), Point("good", "db-stop", At.AddMilliseconds(1), failed: true)],
            CancellationToken.None);
        // A string where a list belongs, a list where a legacy point belongs, a list where an error record belongs.
        await server.Db().StringSetAsync("osprofiler_opt:foreign", "not a list");
        await server.Db().ListLeftPushAsync("osprofiler:foreign-legacy", "not a string");
        await server.Db().ListLeftPushAsync("osprofiler_error:foreign-error", "not a string");

        var timestamps = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);
        var fields = await store.ListTracesAsync(new TraceListQuery(10, Fields: ["name"]), CancellationToken.None);
        var errors = await store.ListTracesAsync(new TraceListQuery(10, Fields: ["name"], ErrorsOnly: true), CancellationToken.None);

        Assert.Equal(["good"], timestamps.Traces.Select(t => t.BaseId));
        Assert.Equal(["good"], fields.Traces.Select(t => t.BaseId));
        Assert.Equal(("good", "db-start"), (Assert.Single(errors.Traces).BaseId, errors.Traces[0].Fields["name"]));
    }

    [Fact]
    public async Task A_user_whose_ACL_forbids_scripts_lists_by_reading_the_earliest_points_themselves()
    {
        await server.Db().ExecuteAsync("ACL", "SETUSER", "noscripts", "on", ">noscripts-pass", "~*", "&*", "+@all", "-@scripting");
        await using (var writer = server.Open())
            await writer.WriteAsync([Point("listed", "db-start", At), Point("listed", "db-stop", At.AddMilliseconds(1))],
                CancellationToken.None);
        var logging = new TestOutputLoggerFactory(output);

        await using var store = OpenAs("noscripts", "noscripts-pass", logging);
        var page = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);

        Assert.Equal(("listed", "2026-03-04T05:06:07.000000"), (Assert.Single(page.Traces).BaseId, page.Traces[0].Timestamp));
        Assert.Contains(logging.Messages, m => m.Contains($"listing script ({RedisErrorKind.NoPermission})", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_user_whose_ACL_forbids_the_summarys_commands_still_stores_every_point_once()
    {
        await server.Db().ExecuteAsync("ACL", "SETUSER", "nosummaries", "on", ">nosummaries-pass", "~*", "&*", "+@all", "-hset", "-zadd");

        await using var store = OpenAs("nosummaries", "nosummaries-pass");
        await store.WriteAsync([Point("kept", "db-start", At)], CancellationToken.None);
        await store.WriteAsync([Point("kept", "db-stop", At.AddMilliseconds(1))], CancellationToken.None);

        Assert.Equal(2, await server.Db().ListLengthAsync("osprofiler_opt:kept"));
        Assert.False(await server.Db().KeyExistsAsync("{osprofiler_opt:kept}:summary"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_trace_whose_key_holds_another_type_is_refused_by_name_and_the_rest_of_its_batch_is_stored_once(bool scriptPushes)
    {
        // A key of another type at a trace's list (put there by something else) refuses that trace on every attempt: the
        // driver says so with the points' positions (the notifier counts them and moves on) and stores the rest once.
        // scriptPushes: a user the ACL denies LTRIM, for whom the script pushes the points itself (as on a cluster).
        await server.Db().ExecuteAsync("ACL", "SETUSER", "notrim", "on", ">notrim-pass", "~*", "&*", "+@all", "-ltrim");
        await server.Db().StringSetAsync("osprofiler_opt:foreign-first", "not a list");
        await using var store = scriptPushes ? OpenAs("notrim", "notrim-pass") : server.Open();
        var batch = Guid.NewGuid();
        TracePoint[] points = [Point("foreign-first", "db-start", At), Point("beside", "db-start", At),
            Point("foreign-first", "db-stop", At.AddMilliseconds(1)), Point("beside", "db-stop", At.AddMilliseconds(1))];

        var first = await Assert.ThrowsAsync<TracePointsRefusedException>(() => store.WriteAsync(points, batch, CancellationToken.None));
        var again = await Assert.ThrowsAsync<TracePointsRefusedException>(() => store.WriteAsync(points, batch, CancellationToken.None));
        output.WriteLine(first.Message);

        Assert.Equal([0, 2], first.Refused);
        Assert.Equal([0, 2], again.Refused);
        Assert.Contains("'osprofiler_opt:foreign-first'", first.Message);
        Assert.Contains("WRONGTYPE", first.Message);
        Assert.DoesNotContain("notrim-pass", first.ToString());
        Assert.Equal(2, await server.Db().ListLengthAsync("osprofiler_opt:beside"));
        Assert.Equal("not a list", (string?)await server.Db().StringGetAsync("osprofiler_opt:foreign-first"));
        // No summary describes the refused trace: a search or listing does not offer a trace that cannot be read.
        Assert.False(await server.Db().KeyExistsAsync("{osprofiler_opt:foreign-first}:summary"));
        Assert.Equal("2", (string?)await server.Db().HashGetAsync("{osprofiler_opt:beside}:summary", "points"));
    }

    [Fact]
    public async Task A_user_whose_ACL_forbids_LTRIM_stores_a_batch_sent_twice_once()
    {
        await server.Db().ExecuteAsync("ACL", "SETUSER", "notrim", "on", ">notrim-pass", "~*", "&*", "+@all", "-ltrim");
        await using var store = OpenAs("notrim", "notrim-pass");
        var batch = Guid.NewGuid();
        TracePoint[] points = [Point("untrimmed", "db-start", At), Point("untrimmed", "db-stop", At.AddMilliseconds(1))];

        await store.WriteAsync(points, batch, CancellationToken.None);
        await store.WriteAsync(points, batch, CancellationToken.None);

        Assert.Equal(2, await server.Db().ListLengthAsync("osprofiler_opt:untrimmed"));
        Assert.Equal("2", (string?)await server.Db().HashGetAsync("{osprofiler_opt:untrimmed}:summary", "points"));
    }

    [Fact]
    public async Task A_write_the_ACL_forbids_fails_naming_the_ACL_and_not_the_password()
    {
        await server.Db().ExecuteAsync("ACL", "SETUSER", "nowrites", "on", ">nowrites-pass", "~*", "&*", "+@all", "-@write");

        await using var store = OpenAs("nowrites", "nowrites-pass");
        var e = await Assert.ThrowsAsync<TraceStoreException>(() =>
            store.WriteAsync([Point("refused", "db-start", At)], CancellationToken.None));
        output.WriteLine(e.Message);

        Assert.Contains($"127.0.0.1:{server.Port}", e.Message);
        Assert.Contains("ACL", e.Message);
        Assert.DoesNotContain("nowrites-pass", e.ToString());
    }

    [Fact]
    public async Task Writing_to_a_replica_fails_saying_it_is_a_replica()
    {
        using var replica = new ReplicaRedisServer(server.Port);

        await using var store = replica.Open();
        var e = await Assert.ThrowsAsync<TraceStoreException>(() =>
            store.WriteAsync([Point("to-replica", "db-start", At)], CancellationToken.None));
        output.WriteLine(e.Message);

        Assert.Contains($"127.0.0.1:{replica.Port}", e.Message);
        Assert.Contains("is a read-only replica: name its master", e.Message);
        Assert.DoesNotContain("Check that a Redis server is running", e.Message);
    }

    public static TheoryData<Exception, bool> Failures() => new()
    {
        { new RedisServerException(RedisErrorKind.ReadOnly, CommandFlags.None, "You can't write against a read only replica."), true },
        { new RedisServerException(RedisErrorKind.MasterDown, CommandFlags.None, "Link with MASTER is down"), true },
        { new RedisConnectionException(ConnectionFailureType.SocketClosed, CommandFlags.None, "closed", null, CommandStatus.Sent), true },
        { new RedisTimeoutException(CommandFlags.None, "timed out", CommandStatus.WaitingInBacklog), true },
        // The words alone decide nothing: what StackExchange.Redis classified does.
        { new RedisServerException(RedisErrorKind.UnknownError, CommandFlags.None, "READONLY MASTERDOWN"), false },
        { new RedisTimeoutException(CommandFlags.None, "still waiting in the backlog", CommandStatus.Sent), false },
        { new RedisServerException(RedisErrorKind.WrongType, CommandFlags.None, "WRONGTYPE"), false },
        { new RedisCommandException("not sent"), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_failure_a_failover_explains_is_recognised_by_its_type_and_status_not_its_words(Exception failure, bool failover)
    {
        Assert.Equal(failover, RedisConnection.IsFailover(failure));
    }
}
