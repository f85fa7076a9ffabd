using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>Deleting traces (<see cref="ITraceStoreCleanup"/>) from a store: every row of the named traces, nothing else.</summary>
public static class CleanupCheck
{
    private static TracePoint Point(string baseId, string name) => new()
    {
        Name = name, BaseId = baseId, TraceId = baseId + "-op", ParentId = baseId,
        Timestamp = "2026-03-04T05:06:07.000000", Info = new JsonObject { ["host"] = "node-1" },
    };

    public static async Task DeletesOnlyTheNamedTracesAsync(ITraceStore store)
    {
        await store.WriteAsync([Point("bench-1", "db-start"), Point("bench-1", "db-stop"), Point("bench-2", "db-start"),
            Point("keep-1", "db-start")], CancellationToken.None);

        var deleted = await ((ITraceStoreCleanup)store).DeleteTracesAsync(["bench-1", "bench-2", "missing"], CancellationToken.None);

        Assert.Equal(2, deleted);
        var left = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);
        Assert.Equal(["keep-1"], left.Traces.Select(t => t.BaseId));
        await foreach (var _ in store.ReadTraceAsync("bench-1", CancellationToken.None)) Assert.Fail("bench-1 still has points");
    }
}

[Collection(MariaDbCollection.Name)]
public sealed class MariaDbCleanupTests(MariaDbServer server)
{
    [Fact]
    public async Task Deleting_traces_removes_every_row_of_them_and_keeps_the_others()
    {
        await using var store = new MySqlDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase())), new DriverSettings());
        await CleanupCheck.DeletesOnlyTheNamedTracesAsync(store);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresCleanupTests(PostgresServer server)
{
    [Fact]
    public async Task Deleting_traces_removes_every_row_of_them_and_keeps_the_others()
    {
        await using var store = new PostgresDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase())), new DriverSettings());
        await CleanupCheck.DeletesOnlyTheNamedTracesAsync(store);
    }
}
