using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application;
using Profiler.Domain;
using Profiler.Instrumentation;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;
using static Profiler.Infrastructure.Sql.Tests.SqlServerTestKit;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>
/// Points that pass the rules but a table cannot hold (a character its character set or encoding lacks) are refused
/// by position (<see cref="TracePointsRefusedException"/>), the batch's other points stored once under its id: the
/// notifier then counts them as rejected and moves on instead of retrying the batch for good.
/// </summary>
internal static class RefusalKit
{
    /// <summary>Two traces, "plain" (4 points) and "odd" (2 points, service with an emoji and '€'), interleaved: "odd" at 1 and 4.</summary>
    public static IReadOnlyList<TracePoint> Mixed()
    {
        var plain = Points("plain", 4);
        var odd = Points("odd", 2).Select(p => new TracePoint
        {
            Name = p.Name, BaseId = p.BaseId, TraceId = p.TraceId, ParentId = p.ParentId, Timestamp = p.Timestamp,
            Info = p.Info, Project = p.Project, Service = "café-€-😀",
        }).ToList();
        return [plain[0], odd[0], plain[1], plain[2], odd[1], plain[3]];
    }

    public static async Task AssertRefusedOnEveryAttemptAsync(ITraceStore store, Func<int> countRows, string code, string password, ITestOutputHelper output)
    {
        var points = Mixed();
        var batch = Guid.NewGuid();

        var first = await Assert.ThrowsAsync<TracePointsRefusedException>(() => store.WriteAsync(points, batch, CancellationToken.None));
        output.WriteLine(first.Message);
        Assert.Equal([1, 4], first.Refused);
        Assert.Equal(4, countRows());
        var again = await Assert.ThrowsAsync<TracePointsRefusedException>(() => store.WriteAsync(points, batch, CancellationToken.None));
        Assert.Equal([1, 4], again.Refused);
        Assert.Equal(4, countRows());

        AssertMessage(first, "2 of 6 trace point(s)");
        AssertMessage(first, "'odd'");
        AssertMessage(first, code);
        AssertMessage(first, "service");
        Assert.DoesNotContain(password, first.ToString());
        var plain = await ReportAsync(store, "plain");
        Assert.NotNull(plain);
        Assert.Null(await ReportAsync(store, "odd"));
        // The stored trace is searchable; the refused one has no summary.
        var search = (ITraceStoreSearch)store;
        Assert.Equal(1, await search.CountTracesAsync(new TraceListQuery(10) { Filter = new TraceFilter(Service: "s") }, CancellationToken.None));
        var listed = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);
        Assert.Equal(["plain"], listed.Traces.Select(t => t.BaseId));

        // A batch of only storable points still goes in whole.
        await store.WriteAsync(Points("later", 2), Guid.NewGuid(), CancellationToken.None);
        Assert.Equal(6, countRows());
    }
}

[Collection(MariaDbCollection.Name)]
public sealed class MariaDbPointRefusalTests(MariaDbServer server, ITestOutputHelper output)
{
    [Fact]
    public async Task A_point_a_latin1_data_table_cannot_hold_is_refused_by_position_and_the_rest_stored_once()
    {
        var db = server.CreateDatabase();
        await using var store = new MySqlDriver().Open(ConnectionString.Parse(server.Url(db)), new DriverSettings());
        await store.ListTracesAsync(new TraceListQuery(1), CancellationToken.None);
        // A legacy OSProfiler table in latin1: the emoji (and the euro sign outside latin1's range) cannot go in.
        server.Admin("ALTER TABLE data CONVERT TO CHARACTER SET latin1", db);

        await RefusalKit.AssertRefusedOnEveryAttemptAsync(store, () => int.Parse(server.Admin("SELECT COUNT(*) FROM data", db).Trim()),
            "MySQL error 1366", MariaDbServer.Password, output);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresPointRefusalTests(PostgresServer server, ITestOutputHelper output)
{
    [Fact]
    public async Task A_point_a_LATIN1_database_cannot_hold_is_refused_by_position_and_the_rest_stored_once()
    {
        var db = Unique("latin");
        server.Admin($"CREATE DATABASE {db} OWNER {PostgresServer.User} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
        await using var store = new PostgresDriver().Open(ConnectionString.Parse(server.Url(db)), new DriverSettings());

        await RefusalKit.AssertRefusedOnEveryAttemptAsync(store, () => int.Parse(server.Admin("SELECT COUNT(*) FROM data", db).Trim()),
            "PostgreSQL error 22P05", PostgresServer.Password, output);
    }

    [Fact]
    public async Task A_notifier_over_a_LATIN1_database_counts_the_points_it_refuses_and_keeps_sending_later_ones()
    {
        var db = Unique("latin");
        server.Admin($"CREATE DATABASE {db} OWNER {PostgresServer.User} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
        await using var store = new PostgresDriver().Open(ConnectionString.Parse(server.Url(db)), new DriverSettings());
        var services = new ServiceCollection();
        services.AddSingleton(store);
        services.AddApplicationServices();
        var mediator = services.BuildServiceProvider().GetRequiredService<IMediator>();
        await using var notifier = new TraceNotifier(mediator, new TraceNotifierOptions
        {
            BatchSize = 100, MinRetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(100),
        });
        var wait = TimeSpan.FromSeconds(60);
        void Operation(string operation, string baseId)
        {
            var at = DateTime.UtcNow.Ticks;
            Assert.True(notifier.TryWrite(new TraceEvent(operation, true, baseId, baseId + "-op", baseId, at, null, "h")));
            Assert.True(notifier.TryWrite(new TraceEvent(operation, false, baseId, baseId + "-op", baseId, at + 10, null, "h")));
        }

        Operation("db", "plain");
        Operation("query-😀", "odd");
        Assert.True(await notifier.FlushAsync(wait));
        Operation("db", "later");
        Assert.True(await notifier.FlushAsync(wait));

        Assert.Equal(2, notifier.RejectedCount);
        Assert.Equal(4, int.Parse(server.Admin("SELECT COUNT(*) FROM data", db).Trim()));
        Assert.Equal("", server.Admin("SELECT base_id FROM data WHERE base_id = 'odd'", db).Trim());
    }
}
