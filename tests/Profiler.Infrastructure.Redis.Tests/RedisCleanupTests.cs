using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>Deleting traces (<see cref="ITraceStoreCleanup"/>) on a real redis-server.</summary>
public sealed class RedisCleanupTests(RedisServer server) : IClassFixture<RedisServer>, IAsyncLifetime
{
    public Task InitializeAsync() => server.FlushAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private static TracePoint Point(string baseId, string name, JsonObject? info = null) => new()
    {
        Name = name, BaseId = baseId, TraceId = baseId + "-op", ParentId = baseId,
        Timestamp = "2026-03-04T05:06:07.000000", Info = info ?? new JsonObject { ["host"] = "node-1" },
    };

    [Fact]
    public async Task Deleting_traces_removes_their_lists_error_records_and_legacy_keys_and_keeps_the_others()
    {
        await using var store = server.Open(new DriverSettings { FilterErrorTrace = true });
        var failed = new JsonObject { ["host"] = "node-1", ["etype"] = "ValueError" };
        await store.WriteAsync([Point("bench-1", "db-start"), Point("bench-1", "db-stop", failed), Point("bench-2", "db-start"),
            Point("keep-1", "db-start")], CancellationToken.None);
        await server.Db().StringSetAsync("osprofiler:bench-3-x", "{\"base_id\": \"bench-3\", \"timestamp\": \"2026-03-04T05:06:07.000000\"}");
        await server.Db().StringSetAsync("osprofiler:bench-30-x", "{\"base_id\": \"bench-30\", \"timestamp\": \"2026-03-04T05:06:07.000000\"}");

        var deleted = await ((ITraceStoreCleanup)store).DeleteTracesAsync(["bench-1", "bench-2", "bench-3", "missing", "bad id*"],
            CancellationToken.None);

        Assert.Equal(3, deleted);
        Assert.False(await server.Db().KeyExistsAsync("osprofiler_opt:bench-1"));
        Assert.False(await server.Db().KeyExistsAsync("osprofiler_error:bench-1"));
        Assert.False(await server.Db().KeyExistsAsync("osprofiler_opt:bench-2"));
        Assert.False(await server.Db().KeyExistsAsync("osprofiler:bench-3-x"));
        Assert.True(await server.Db().KeyExistsAsync("osprofiler:bench-30-x"));
        Assert.True(await server.Db().KeyExistsAsync("osprofiler_opt:keep-1"));
    }
}
