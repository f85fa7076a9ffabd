using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Domain.Reports;
using Profiler.Storage;
using Profiler.Testing;
using static Profiler.Infrastructure.Sql.Tests.SqlServerTestKit;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>
/// Interop with the real OSProfiler (Debian's python3-osprofiler over SQLAlchemy): traces it writes read back into
/// its own report, and traces Profiler writes read by <c>osprofiler trace show</c> into Profiler's report.
/// </summary>
public abstract class OsProfilerSqlInteropTests
{
    /// <summary>Writes one trace through osprofiler's notifier and SQLAlchemy driver: nested scopes and an exception.</summary>
    private const string WriterScript = """
        import sys, time
        from osprofiler import notifier, profiler
        notifier.set(notifier.create(sys.argv[1], project="nova", service="api", host="node1"))
        profiler.init("SECRET_KEY")
        base_id = profiler.get().get_base_id()
        with profiler.Trace("wsgi", info={"path": "/v2/servers", "method": "GET"}):
            with profiler.Trace("db", info={"db": {"statement": "SELECT 1", "params": {}}}):
                time.sleep(0.003)
            try:
                with profiler.Trace("rpc", info={"method": "boot"}):
                    with profiler.Trace("compute", info={"vm": "v1"}):
                        time.sleep(0.002)
                    raise ValueError("boom")
            except ValueError:
                pass
            with profiler.Trace("cache"):
                pass
        print("BASE_ID=" + base_id)
        """;

    protected abstract ITraceStoreDriver Driver { get; }

    /// <summary>A SQLAlchemy URL of a fresh, empty database.</summary>
    protected abstract string CreateDatabaseUrl();

    /// <summary>The <c>data</c> table's index names, as the server lists them.</summary>
    protected abstract IReadOnlyList<string> IndexNames(string url);

    private static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : ServerProcess.Require("python3", "python3");

    private static string OsProfilerWrite(string url)
    {
        using var dir = new TempDirectory("profiler-osprofiler-");
        var script = Path.Combine(dir.Path, "write_trace.py");
        File.WriteAllText(script, WriterScript);
        ServerProcess.Require("osprofiler", "python3-osprofiler");
        var output = ServerProcess.Run(Python, [script, url], dir.Path);
        var line = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("BASE_ID=", StringComparison.Ordinal));
        return line?["BASE_ID=".Length..] ?? throw new InvalidOperationException("the OSProfiler writer printed no base id:\n" + output);
    }

    private static JsonNode OsProfilerShow(string url, string baseId)
    {
        using var dir = new TempDirectory("profiler-osprofiler-");
        var file = Path.Combine(dir.Path, "report.json");
        var osprofiler = ServerProcess.Require("osprofiler", "python3-osprofiler");
        ServerProcess.Run(osprofiler, ["trace", "show", baseId, "--connection-string", url, "--json", "--out", file], dir.Path);
        return JsonNode.Parse(File.ReadAllText(file))!;
    }

    private static async Task<JsonNode> ProfilerReportAsync(ITraceStore store, string baseId)
    {
        var report = await ReportAsync(store, baseId);
        Assert.NotNull(report);
        return JsonNode.Parse(ReportJson.ToJson(report))!;
    }

    [Fact]
    public async Task A_trace_OSProfiler_writes_reads_into_the_report_OSProfiler_shows_and_Profiler_then_writes_to_its_table()
    {
        var url = CreateDatabaseUrl();
        // OSProfiler's driver creates the table (SQLAlchemy create_all) before Profiler ever sees the database.
        var baseId = OsProfilerWrite(url);
        Assert.Equal(["ix_data_base_id", "ix_data_host", "ix_data_name", "ix_data_parent_id", "ix_data_project", "ix_data_service",
            "ix_data_timestamp", "ix_data_trace_id"], IndexNames(url).Where(n => n.StartsWith("ix_", StringComparison.Ordinal)).Order());
        var expected = OsProfilerShow(url, baseId);

        await using var store = Driver.Open(ConnectionString.Parse(url), new DriverSettings { Host = "node2" });
        var actual = await ProfilerReportAsync(store, baseId);

        ReportAssert.Equivalent(expected, actual);
        var rpc = expected["children"]![0]!["children"]!.AsArray().Single(n => (string)n!["info"]!["name"]! == "rpc")!;
        Assert.EndsWith("ValueError", (string)rpc["info"]!["exception"]!);
        var errors = await store.ListTracesAsync(new TraceListQuery(10, ErrorsOnly: true), CancellationToken.None);
        Assert.Equal([baseId], errors.Traces.Select(t => t.BaseId));

        // Profiler writes into the table OSProfiler created, and OSProfiler reads that back.
        var fixture = FixtureTrace.Load("simple", "mysql");
        await store.WriteAsync(fixture.Points, CancellationToken.None);
        ReportAssert.Equivalent(OsProfilerShow(url, fixture.BaseId), await ProfilerReportAsync(store, fixture.BaseId));
        var all = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);
        Assert.Equal(2, all.Traces.Count);
    }

    [Fact]
    public async Task A_trace_OSProfiler_wrote_is_pruned_once_its_newest_point_is_older_than_the_cutoff_unless_pinned()
    {
        var url = CreateDatabaseUrl();
        var pinnedId = OsProfilerWrite(url);
        var baseId = OsProfilerWrite(url);
        await using var store = Driver.Open(ConnectionString.Parse(url), new DriverSettings());
        var pruning = (ITraceStorePruning)store;
        Assert.True(await ((ITraceStorePinning)store).SetPinnedAsync(pinnedId, true, CancellationToken.None));
        var points = 0;
        await foreach (var _ in store.ReadTraceAsync(baseId, CancellationToken.None)) points++;

        var notYet = await pruning.PruneAsync(DateTime.UtcNow.AddHours(-1), dryRun: false, CancellationToken.None);
        var pruned = await pruning.PruneAsync(DateTime.UtcNow.AddMinutes(1), dryRun: false, CancellationToken.None);

        Assert.Equal(new PruneResult(0, 0), notYet);
        Assert.Equal(new PruneResult(1, points), pruned);
        Assert.True(points >= 10, $"OSProfiler wrote {points} points");
        var left = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);
        Assert.Equal([pinnedId], left.Traces.Select(t => t.BaseId));
        Assert.Equal(0, (await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None)).Traces - 1);
    }

    public static TheoryData<string> Shapes() => new(Fixtures.All().Where(f => f.Backend == "mysql").Select(f => f.Shape));

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_trace_Profiler_writes_reads_in_osprofiler_trace_show_as_Profilers_own_report(string shape)
    {
        var url = CreateDatabaseUrl();
        var fixture = FixtureTrace.Load(shape, "mysql");
        await using var store = Driver.Open(ConnectionString.Parse(url), new DriverSettings { Host = fixture.SqlHost });
        await store.WriteAsync(fixture.Points, CancellationToken.None);

        var ours = await ProfilerReportAsync(store, fixture.BaseId);

        ReportAssert.Equivalent(ours, OsProfilerShow(url, fixture.BaseId));
        ReportAssert.Equivalent(FixtureTrace.ReportWithOwnHosts(shape, "mysql"), ours);
    }
}

[Collection(MariaDbCollection.Name)]
public sealed class MariaDbOsProfilerInteropTests(MariaDbServer server) : OsProfilerSqlInteropTests
{
    protected override ITraceStoreDriver Driver { get; } = new MySqlDriver();

    protected override string CreateDatabaseUrl() => server.Url(server.CreateDatabase(), "mysql+pymysql", query: "charset=utf8mb4");

    protected override IReadOnlyList<string> IndexNames(string url) =>
        server.Admin($"SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = '{ConnectionString.Parse(url).Path}' AND table_name = 'data'")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresOsProfilerInteropTests(PostgresServer server) : OsProfilerSqlInteropTests
{
    protected override ITraceStoreDriver Driver { get; } = new PostgresDriver();

    protected override string CreateDatabaseUrl() => server.Url(server.CreateDatabase(), "postgresql+psycopg2");

    protected override IReadOnlyList<string> IndexNames(string url) =>
        server.Admin("SELECT indexname FROM pg_indexes WHERE tablename = 'data'", ConnectionString.Parse(url).Path!)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
