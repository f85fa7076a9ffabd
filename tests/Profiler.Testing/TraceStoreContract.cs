using System.Text.Json.Nodes;
using Profiler.Storage;
using Profiler.Domain;
using Profiler.Domain.Reports;
using Xunit;

namespace Profiler.Testing;

/// <summary>
/// The driver contract: every driver runs these tests through a subclass whose fixture starts a real server.
/// <see cref="CreateStoreAsync"/> must return a store over an empty collector.
/// </summary>
public abstract class TraceStoreContract
{
    /// <summary>Which OSProfiler fixtures this driver reproduces exactly: <c>redis</c> or <c>mysql</c>.</summary>
    protected abstract string FixtureBackend { get; }

    /// <summary>A store over an empty collector, opened with <paramref name="settings"/>.</summary>
    protected abstract Task<ITraceStore> CreateStoreAsync(DriverSettings settings);

    protected static TracePoint Point(string baseId, string traceId, string parentId, string name, DateTime at,
        JsonObject? info = null, string? project = "proj", string? service = "svc") => new()
    {
        Name = name, BaseId = baseId, TraceId = traceId, ParentId = parentId,
        Timestamp = TraceTimestamp.FromDateTime(at).ToString(),
        Info = info ?? new JsonObject { ["host"] = "h1" }, Project = project, Service = service,
    };

    /// <summary>A trace of one operation (start+stop) at <paramref name="at"/>, failed when <paramref name="error"/>.</summary>
    protected static IReadOnlyList<TracePoint> SmallTrace(string baseId, DateTime at, bool error = false)
    {
        var op = Guid.NewGuid().ToString();
        return
        [
            Point(baseId, op, baseId, "wsgi-start", at),
            Point(baseId, op, baseId, "wsgi-stop", at.AddMilliseconds(5),
                error ? new JsonObject { ["host"] = "h1", ["etype"] = "ValueError", ["message"] = "boom" } : null),
        ];
    }

    private async Task<TraceReport?> ReportAsync(ITraceStore store, string baseId)
    {
        var builder = new ReportBuilder();
        await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None)) builder.Add(p);
        return builder.Count == 0 ? null : builder.Build();
    }

    public static TheoryData<string> Shapes() => new(Fixtures.All().Select(f => f.Shape).Distinct());

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_trace_written_by_OSProfiler_reads_back_into_OSProfilers_own_report(string shape)
    {
        var fixture = FixtureTrace.Load(shape, FixtureBackend);
        await using var store = await CreateStoreAsync(new DriverSettings { Host = fixture.SqlHost });
        await store.WriteAsync(fixture.Points, CancellationToken.None);

        var report = await ReportAsync(store, fixture.BaseId);

        Assert.NotNull(report);
        ReportAssert.Equivalent(FixtureTrace.Report(shape, FixtureBackend), JsonNode.Parse(ReportJson.ToJson(report))!);
    }

    [Fact]
    public async Task An_unknown_trace_reads_as_no_points()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        await store.WriteAsync(SmallTrace("known-trace", DateTime.UtcNow), CancellationToken.None);

        Assert.Null(await ReportAsync(store, Guid.NewGuid().ToString()));
    }

    [Fact]
    public async Task A_pattern_character_in_a_base_id_never_reads_another_trace()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        await store.WriteAsync(SmallTrace("abc-1", DateTime.UtcNow), CancellationToken.None);

        foreach (var id in new[] { "*", "abc*", "abc-?", "abc-[1]", "%", "abc%", "abc_1" })
            Assert.Null(await ReportAsync(store, id));
        Assert.NotNull(await ReportAsync(store, "abc-1"));
    }

    [Fact]
    public async Task Points_without_project_or_service_get_the_drivers_defaults()
    {
        await using var store = await CreateStoreAsync(new DriverSettings { Project = "defproj", Service = "defsvc" });
        var at = DateTime.UtcNow;
        await store.WriteAsync(
        [
            Point("defaults-1", "op-1", "defaults-1", "db-start", at, project: null, service: null),
            Point("defaults-1", "op-1", "defaults-1", "db-stop", at.AddMilliseconds(1), project: null, service: null),
        ], CancellationToken.None);

        var node = Assert.Single((await ReportAsync(store, "defaults-1"))!.Children);
        Assert.Equal(("defproj", "defsvc"), (node.Project, node.Service));
    }

    [Fact]
    public async Task Traces_are_listed_newest_first_with_their_earliest_timestamp_and_paged_by_cursor()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        var start = new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        var ids = Enumerable.Range(0, 25).Select(i => $"list-{i:D2}").ToList();
        // Written newest first, so storage order cannot stand in for time order.
        foreach (var (id, i) in ids.Select((id, i) => (id, i)).Reverse())
            await store.WriteAsync(SmallTrace(id, start.AddSeconds(i)), CancellationToken.None);

        var seen = new List<TraceSummary>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await store.ListTracesAsync(new TraceListQuery(10, cursor, ["name"]), CancellationToken.None);
            Assert.True(page.Traces.Count <= 10);
            seen.AddRange(page.Traces);
            cursor = page.NextCursor;
            Assert.True(++pages <= 10, "paging does not end");
        } while (cursor is not null);

        Assert.Equal(ids.AsEnumerable().Reverse(), seen.Select(t => t.BaseId));
        Assert.Equal(TraceTimestamp.FromDateTime(start.AddSeconds(24)).ToString(), seen[0].Timestamp);
        Assert.All(seen, t => Assert.Equal("wsgi-start", t.Fields["name"]));
    }

    [Fact]
    public async Task Only_traces_holding_a_failed_operation_are_listed_as_errors()
    {
        await using var store = await CreateStoreAsync(new DriverSettings { FilterErrorTrace = true });
        var at = DateTime.UtcNow;
        await store.WriteAsync(SmallTrace("ok-trace", at), CancellationToken.None);
        await store.WriteAsync(SmallTrace("failed-trace", at.AddSeconds(1), error: true), CancellationToken.None);

        var page = await store.ListTracesAsync(new TraceListQuery(100, ErrorsOnly: true), CancellationToken.None);

        Assert.Equal(["failed-trace"], page.Traces.Select(t => t.BaseId));
        var all = await store.ListTracesAsync(new TraceListQuery(100), CancellationToken.None);
        Assert.Equal(["failed-trace", "ok-trace"], all.Traces.Select(t => t.BaseId));
    }

    [Fact]
    public async Task Concurrent_writers_lose_no_point_and_duplicate_none()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        const int writers = 8, batches = 10, perBatch = 100;
        var at = DateTime.UtcNow;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var b = 0; b < batches; b++)
            {
                var points = Enumerable.Range(0, perBatch / 2).SelectMany(i =>
                {
                    var op = $"w{w}-b{b}-op{i}";
                    return new[]
                    {
                        Point("concurrent", op, "concurrent", "op-start", at),
                        Point("concurrent", op, "concurrent", "op-stop", at.AddMilliseconds(1)),
                    };
                }).ToList();
                await store.WriteAsync(points, CancellationToken.None);
            }
        })));

        var report = (await ReportAsync(store, "concurrent"))!;
        Assert.Equal(writers * batches * perBatch, report.PointCount);
        Assert.Equal(writers * batches * perBatch / 2, report.Children.Count);
        Assert.All(report.Children, n => Assert.Equal(2, n.RawPayloads.Count));
    }

    [Fact]
    public async Task A_large_trace_streams_back_every_point()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        var at = new DateTime(2026, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        // Each operation starts on a whole millisecond and lasts half of one: every duration is 0 ms.
        var points = Enumerable.Range(0, 5000).SelectMany(i => new[]
        {
            Point("large", $"op{i}", "large", "db-start", at.AddMilliseconds(i)),
            Point("large", $"op{i}", "large", "db-stop", at.AddMilliseconds(i + 0.5)),
        }).ToList();
        for (var i = 0; i < points.Count; i += 2500)
            await store.WriteAsync(points.Skip(i).Take(2500).ToList(), CancellationToken.None);

        var report = (await ReportAsync(store, "large"))!;
        Assert.Equal(10_000, report.PointCount);
        Assert.Equal(new OperationStats(5000, 0), Assert.Single(report.Stats).Value);
    }
}
