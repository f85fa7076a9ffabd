using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Domain.Reports;
using Xunit;

namespace Profiler.Storage.Testing;

/// <summary>
/// The driver contract suite (docs/driver-contract.md): what every <see cref="ITraceStoreDriver"/>'s stores must do,
/// checked on a real store. A driver's test project derives one class per backend from it and fills in the seam:
/// <see cref="FixtureBackend"/> and <see cref="CreateStoreAsync"/> (a store over an EMPTY collector, opened with the
/// given settings; the derived class owns the server, e.g. through an <c>IClassFixture</c>). Capabilities a backend
/// lacks by design are declared by overriding the <c>virtual</c> properties, never by leaving tests out.
/// The decisions checked: D1 a cursor the driver did not give out is a <see cref="FormatException"/> naming it;
/// D3 a trace's earliest point is the one with the smallest timestamp, on a tie the one stored first; D4 a point's
/// own host wins over <see cref="DriverSettings.Host"/>, which fills in points that carry none; D5 errors are listed
/// whether or not <see cref="DriverSettings.FilterErrorTrace"/> is set (unless <see cref="ErrorsListedWithoutFilterErrorTrace"/>
/// is false); listings return the requested fields of the earliest point and page through every trace exactly once.
/// </summary>
public abstract partial class TraceStoreContract
{
    /// <summary>Which OSProfiler fixtures this driver reproduces exactly: <c>redis</c> (stores whole point documents) or <c>mysql</c> (stores rows).</summary>
    protected abstract string FixtureBackend { get; }

    /// <summary>A store over an empty collector, opened with <paramref name="settings"/>; every call gives a new, empty one.</summary>
    protected abstract Task<ITraceStore> CreateStoreAsync(DriverSettings settings);

    /// <summary>
    /// D5: whether the store lists error traces when it was opened with <see cref="DriverSettings.FilterErrorTrace"/>
    /// off. Default true (SQL, a driver that can query its points). Redis overrides it with false: it lists errors
    /// from its <c>osprofiler_error:</c> index, written only with <c>filter_error_trace</c> on, as OSProfiler does;
    /// the suite then checks that nothing is listed as an error without the index.
    /// </summary>
    protected virtual bool ErrorsListedWithoutFilterErrorTrace => true;

    /// <summary>
    /// D3: whether the store takes a trace's first stored point as its earliest, instead of the point with the smallest
    /// timestamp. Default false. Redis overrides it with true: its listing reads one point per trace (the tail of the
    /// trace's list) so that listing costs the same whatever the traces' sizes; a point stored later with an earlier
    /// timestamp (a batch of another service flushed first) does not move the trace's listed time there. The tie rule
    /// (the point stored first) holds either way.
    /// </summary>
    protected virtual bool EarliestIsFirstStored => false;

    /// <summary>
    /// Whether the backend's stores implement the data lifecycle: <see cref="ITraceStoreCleanup"/>,
    /// <see cref="ITraceStorePinning"/>, <see cref="ITraceStorePruning"/> and <see cref="ITraceStoreStatistics"/>.
    /// Default false: then the store must implement none of pinning, pruning and statistics (deleting alone is allowed,
    /// as drivers written for <c>profiler bench --cleanup</c> have it). A backend that has them overrides it with true;
    /// the lifecycle tests then run in full, and a store that lost a capability fails instead of skipping silently.
    /// </summary>
    protected virtual bool SupportsLifecycle => false;

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

    private static async Task<TraceReport?> ReportAsync(ITraceStore store, string baseId)
    {
        var builder = new ReportBuilder();
        await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None)) builder.Add(p);
        return builder.Count == 0 ? null : builder.Build();
    }

    public static TheoryData<string> Shapes() => new(OsProfilerFixtures.All().Select(f => f.Shape).Distinct());

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_trace_written_by_OSProfiler_reads_back_into_OSProfilers_own_report(string shape)
    {
        var fixture = FixtureTrace.Load(shape, FixtureBackend);
        await using var store = await CreateStoreAsync(new DriverSettings { Host = fixture.SqlHost });
        await store.WriteAsync(fixture.Points, CancellationToken.None);

        var report = await ReportAsync(store, fixture.BaseId);

        Assert.NotNull(report);
        ReportAssert.Equivalent(FixtureTrace.ReportWithOwnHosts(shape, FixtureBackend), JsonNode.Parse(ReportJson.ToJson(report))!);
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

        var (seen, pages) = await ListAllAsync(store, new TraceListQuery(10, Fields: ["name"]));

        Assert.InRange(pages, 3, 4);
        Assert.Equal(ids.AsEnumerable().Reverse(), seen.Select(t => t.BaseId));
        Assert.Equal(TraceTimestamp.FromDateTime(start.AddSeconds(24)).ToString(), seen[0].Timestamp);
        Assert.All(seen, t => Assert.Equal("wsgi-start", t.Fields["name"]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    public async Task Paging_by_cursor_returns_every_trace_exactly_once_even_when_many_share_a_timestamp(int limit)
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        var at = new DateTime(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        // Three timestamps, seven traces on each: page boundaries fall inside runs of equal timestamps.
        var ids = new List<string>();
        for (var i = 0; i < 21; i++)
        {
            var id = $"tie-{i % 7}-{i / 7}";
            ids.Add(id);
            await store.WriteAsync(SmallTrace(id, at.AddSeconds(i / 7)), CancellationToken.None);
        }

        var (seen, pages) = await ListAllAsync(store, new TraceListQuery(limit));

        Assert.Equal(ids.Order(), seen.Select(t => t.BaseId).Order());
        // A driver may end with an empty page if the one before it was full.
        Assert.InRange(pages, (21 + limit - 1) / limit, (21 + limit - 1) / limit + 1);
        Assert.Equal(seen.OrderByDescending(t => t.Timestamp, StringComparer.Ordinal).Select(t => t.Timestamp), seen.Select(t => t.Timestamp));
    }

    [Fact]
    public async Task A_listing_returns_every_requested_field_from_the_earliest_point()
    {
        await using var store = await CreateStoreAsync(new DriverSettings { Project = "default-project", Service = "default-service" });
        var at = new DateTime(2026, 4, 5, 6, 7, 8, DateTimeKind.Utc);
        await store.WriteAsync(
        [
            Point("fields-1", "op-late", "fields-1", "late-start", at.AddMilliseconds(3),
                new JsonObject { ["host"] = "late-host" }, project: "late-project", service: "late-service"),
            Point("fields-1", "op-early", "parent-early", "early-start", at,
                new JsonObject { ["host"] = "early-host" }, project: "early-project", service: "early-service"),
            Point("fields-1", "op-early", "parent-early", "early-stop", at.AddMilliseconds(5)),
        ], CancellationToken.None);

        var page = await store.ListTracesAsync(new TraceListQuery(10, Fields: TraceFields.Allowed), CancellationToken.None);

        var trace = Assert.Single(page.Traces);
        Assert.Null(page.NextCursor);
        if (EarliestIsFirstStored)
        {
            // The first stored point is the late one (a batch is stored in its order).
            var late = TraceTimestamp.FromDateTime(at.AddMilliseconds(3)).ToString();
            Assert.Equal(("fields-1", late), (trace.BaseId, trace.Timestamp));
            Assert.Equal(
            [
                ("base_id", "fields-1"), ("host", "late-host"), ("name", "late-start"), ("parent_id", "fields-1"),
                ("project", "late-project"), ("service", "late-service"), ("timestamp", late), ("trace_id", "op-late"),
            ], trace.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => (f.Key, f.Value)));
            return;
        }
        var timestamp = TraceTimestamp.FromDateTime(at).ToString();
        Assert.Equal(("fields-1", timestamp), (trace.BaseId, trace.Timestamp));
        Assert.Equal(
        [
            ("base_id", "fields-1"), ("host", "early-host"), ("name", "early-start"), ("parent_id", "parent-early"),
            ("project", "early-project"), ("service", "early-service"), ("timestamp", timestamp), ("trace_id", "op-early"),
        ], trace.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => (f.Key, f.Value)));
    }

    [Fact]
    public async Task A_listing_without_fields_returns_none()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        await store.WriteAsync(SmallTrace("no-fields", DateTime.UtcNow), CancellationToken.None);

        var page = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);

        Assert.Empty(Assert.Single(page.Traces).Fields);
    }

    [Fact]
    public async Task On_equal_timestamps_the_point_stored_first_is_the_earliest()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        var at = new DateTime(2026, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        // Stored first overall but later in time; then three points tied on the earliest timestamp, whose names and
        // ids sort the other way round, so neither name nor id order can stand in for storage order.
        if (!EarliestIsFirstStored)
            await store.WriteAsync([Point("tie", "op-0", "tie", "later-start", at.AddMilliseconds(1))], CancellationToken.None);
        await store.WriteAsync(
        [
            Point("tie", "op-9", "tie", "zz-first-start", at),
            Point("tie", "op-5", "tie", "mm-second-start", at),
        ], CancellationToken.None);
        await store.WriteAsync([Point("tie", "op-1", "tie", "aa-third-start", at)], CancellationToken.None);

        var page = await store.ListTracesAsync(new TraceListQuery(10, Fields: ["name", "trace_id"]), CancellationToken.None);

        var trace = Assert.Single(page.Traces);
        Assert.Equal(TraceTimestamp.FromDateTime(at).ToString(), trace.Timestamp);
        Assert.Equal(("zz-first-start", "op-9"), (trace.Fields["name"], trace.Fields["trace_id"]));
    }

    [Fact]
    public async Task A_points_own_host_wins_over_the_settings_host()
    {
        await using var store = await CreateStoreAsync(new DriverSettings { Host = "settings-host" });
        var at = new DateTime(2026, 6, 7, 8, 9, 10, DateTimeKind.Utc);
        await store.WriteAsync(
        [
            Point("hosts", "op-1", "hosts", "db-start", at, new JsonObject { ["host"] = "point-host" }),
            Point("hosts", "op-1", "hosts", "db-stop", at.AddMilliseconds(1), new JsonObject { ["host"] = "point-host" }),
        ], CancellationToken.None);

        var node = Assert.Single((await ReportAsync(store, "hosts"))!.Children);
        var listed = Assert.Single((await store.ListTracesAsync(new TraceListQuery(10, Fields: ["host"]), CancellationToken.None)).Traces);

        Assert.Equal("point-host", node.Host);
        Assert.Equal("point-host", listed.Fields["host"]);
    }

    [Fact]
    public async Task The_settings_host_fills_in_points_that_carry_none()
    {
        await using var store = await CreateStoreAsync(new DriverSettings { Host = "settings-host" });
        var at = new DateTime(2026, 6, 7, 8, 9, 10, DateTimeKind.Utc);
        await store.WriteAsync(
        [
            Point("no-host", "op-1", "no-host", "db-start", at, new JsonObject { ["db"] = "x" }),
            Point("no-host", "op-1", "no-host", "db-stop", at.AddMilliseconds(1), new JsonObject()),
        ], CancellationToken.None);

        var node = Assert.Single((await ReportAsync(store, "no-host"))!.Children);
        var listed = Assert.Single((await store.ListTracesAsync(new TraceListQuery(10, Fields: ["host"]), CancellationToken.None)).Traces);

        Assert.Equal("settings-host", node.Host);
        Assert.Equal("settings-host", listed.Fields["host"]);
    }

    public static TheoryData<string> ForeignCursors() => new()
    {
        "garbage",
        "not a cursor at all",
        "0",
        "-1",
        "{\"offset\": 10}",
        "MjAyNi0wMS0wMVQxMjowMDowMC4wMDAwMDB8bGlzdC0xMA",   // base64url of another driver's "timestamp|id"
        "2026-01-01T12:00:10.000000|list-10",
        "%00\u0001\u007f",
        new string('x', 5000),
    };

    [Theory]
    [MemberData(nameof(ForeignCursors))]
    public async Task A_cursor_the_driver_did_not_give_out_is_a_FormatException_naming_it(string cursor)
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        await store.WriteAsync(SmallTrace("cursor-1", DateTime.UtcNow), CancellationToken.None);

        var e = await Assert.ThrowsAnyAsync<FormatException>(() => store.ListTracesAsync(new TraceListQuery(10, cursor), CancellationToken.None));

        Assert.Contains(TracePointRules.Show(cursor), e.Message);
    }

    [Fact]
    public async Task A_tampered_cursor_is_a_FormatException()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        var at = new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < 5; i++) await store.WriteAsync(SmallTrace($"tamper-{i}", at.AddSeconds(i)), CancellationToken.None);
        var cursor = (await store.ListTracesAsync(new TraceListQuery(2), CancellationToken.None)).NextCursor;
        Assert.NotNull(cursor);

        foreach (var tampered in Tamper(cursor))
            await Assert.ThrowsAnyAsync<FormatException>(() => store.ListTracesAsync(new TraceListQuery(2, tampered), CancellationToken.None));
        Assert.Equal(2, (await store.ListTracesAsync(new TraceListQuery(2, cursor), CancellationToken.None)).Traces.Count);
    }

    /// <summary>The cursor cut short, lengthened, and with its middle character changed.</summary>
    private static IEnumerable<string> Tamper(string cursor)
    {
        yield return cursor[..^1];
        yield return cursor + "0";
        var middle = cursor.Length / 2;
        yield return cursor[..middle] + (cursor[middle] == 'A' ? 'B' : 'A') + cursor[(middle + 1)..];
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
    public async Task Errors_are_listed_whether_or_not_FilterErrorTrace_is_set_unless_the_backend_lists_them_from_that_index()
    {
        await using var store = await CreateStoreAsync(new DriverSettings { FilterErrorTrace = false });
        var at = DateTime.UtcNow;
        await store.WriteAsync(SmallTrace("ok-trace", at), CancellationToken.None);
        await store.WriteAsync(SmallTrace("failed-trace", at.AddSeconds(1), error: true), CancellationToken.None);

        var errors = await store.ListTracesAsync(new TraceListQuery(100, ErrorsOnly: true), CancellationToken.None);

        Assert.Equal(ErrorsListedWithoutFilterErrorTrace ? ["failed-trace"] : [], errors.Traces.Select(t => t.BaseId));
    }

    [Fact]
    public async Task Error_traces_page_by_cursor_exactly_once()
    {
        await using var store = await CreateStoreAsync(new DriverSettings { FilterErrorTrace = true });
        var at = new DateTime(2026, 7, 8, 9, 10, 11, DateTimeKind.Utc);
        var failed = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var id = $"mixed-{i:D2}";
            if (i % 2 == 0) failed.Add(id);
            await store.WriteAsync(SmallTrace(id, at.AddSeconds(i / 3), error: i % 2 == 0), CancellationToken.None);
        }

        var (seen, _) = await ListAllAsync(store, new TraceListQuery(2, ErrorsOnly: true));

        Assert.Equal(failed.Order(), seen.Select(t => t.BaseId).Order());
    }

    /// <summary>Follows <see cref="TracePage.NextCursor"/> to the end; fails on a page over the limit or a trace seen twice.</summary>
    protected static async Task<(List<TraceSummary> Traces, int Pages)> ListAllAsync(ITraceStore store, TraceListQuery first)
    {
        var seen = new List<TraceSummary>();
        var query = first;
        var pages = 0;
        while (true)
        {
            var page = await store.ListTracesAsync(query, CancellationToken.None);
            pages++;
            Assert.True(page.Traces.Count <= first.Limit, $"page {pages} holds {page.Traces.Count} traces, over the limit {first.Limit}");
            Assert.True(page.Traces.Count > 0 || page.NextCursor is null, $"page {pages} is empty but gives a next cursor");
            foreach (var trace in page.Traces)
            {
                Assert.DoesNotContain(seen, t => t.BaseId == trace.BaseId);
                seen.Add(trace);
            }
            Assert.True(pages <= 1000, "paging does not end");
            if (page.NextCursor is null) return (seen, pages);
            query = first with { Cursor = page.NextCursor };
        }
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

    /// <summary>Every point of one trace, counted by (trace_id, name): a point stored twice counts 2.</summary>
    private static async Task<Dictionary<(string, string), int>> CountPointsAsync(ITraceStore store, string baseId)
    {
        var counts = new Dictionary<(string, string), int>();
        await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None))
        {
            Assert.True(p.IsReadable, "a stored point could not be read");
            counts[(p.TraceId, p.Name)] = counts.GetValueOrDefault((p.TraceId, p.Name)) + 1;
        }
        return counts;
    }

    [Fact]
    public async Task A_batch_written_twice_with_the_same_batch_id_is_stored_once()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        var at = DateTime.UtcNow;
        // Two traces in one batch: each trace's share is stored once.
        var batch = SmallTrace("once-a", at).Concat(SmallTrace("once-b", at)).ToList();
        var batchId = Guid.NewGuid();

        await store.WriteAsync(batch, batchId, CancellationToken.None);
        await store.WriteAsync(batch, batchId, CancellationToken.None);

        foreach (var baseId in new[] { "once-a", "once-b" })
        {
            var counts = await CountPointsAsync(store, baseId);
            Assert.Equal(2, counts.Count);
            Assert.All(counts, c => Assert.Equal(1, c.Value));
        }
    }

    [Fact]
    public async Task The_same_points_written_under_two_batch_ids_are_stored_twice()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        var batch = SmallTrace("twice", DateTime.UtcNow);

        await store.WriteAsync(batch, Guid.NewGuid(), CancellationToken.None);
        await store.WriteAsync(batch, Guid.NewGuid(), CancellationToken.None);

        var counts = await CountPointsAsync(store, "twice");
        Assert.Equal(2, counts.Count);
        Assert.All(counts, c => Assert.Equal(2, c.Value));
    }

    [Fact]
    public async Task Concurrent_writes_of_one_batch_id_store_it_once()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        var at = DateTime.UtcNow;
        const int batches = 5, copies = 6;
        var work = new List<Task>();
        for (var b = 0; b < batches; b++)
        {
            var batch = Enumerable.Range(0, 50).SelectMany(i => new[]
            {
                Point("racing", $"b{b}-op{i}", "racing", "op-start", at),
                Point("racing", $"b{b}-op{i}", "racing", "op-stop", at.AddMilliseconds(1)),
            }).ToList();
            var batchId = Guid.NewGuid();
            for (var c = 0; c < copies; c++)
                work.Add(Task.Run(() => store.WriteAsync(batch, batchId, CancellationToken.None)));
        }
        await Task.WhenAll(work);

        var counts = await CountPointsAsync(store, "racing");
        Assert.Equal(batches * 100, counts.Count);
        Assert.All(counts, c => Assert.Equal(1, c.Value));
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

    private static readonly DateTime LongAgo = new(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    /// <summary>The prune cutoff of the lifecycle tests: a day ago, far from both their old and their recent points.</summary>
    private static DateTime Cutoff => DateTime.UtcNow.AddDays(-1);

    [Fact]
    public async Task The_store_implements_exactly_the_lifecycle_capabilities_the_backend_declares()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        var has = new Dictionary<string, bool>
        {
            [nameof(ITraceStorePinning)] = store is ITraceStorePinning,
            [nameof(ITraceStorePruning)] = store is ITraceStorePruning,
            [nameof(ITraceStoreStatistics)] = store is ITraceStoreStatistics,
        };
        if (SupportsLifecycle) has[nameof(ITraceStoreCleanup)] = store is ITraceStoreCleanup;
        foreach (var (capability, implemented) in has)
            Assert.True(implemented == SupportsLifecycle,
                $"{store.GetType().Name} {(implemented ? "implements" : "does not implement")} {capability} but the backend declares SupportsLifecycle = {SupportsLifecycle}");
    }

    [Fact]
    public async Task Deleted_traces_are_gone_from_the_list_the_report_and_the_error_list()
    {
        await using var store = await CreateStoreAsync(new DriverSettings { FilterErrorTrace = true });
        if (store is not ITraceStoreCleanup cleanup)
        {
            Assert.False(SupportsLifecycle, "the backend declares SupportsLifecycle but its store cannot delete traces");
            return;
        }
        var at = new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        await store.WriteAsync(SmallTrace("doomed", at, error: true), CancellationToken.None);
        await store.WriteAsync(SmallTrace("kept-error", at.AddSeconds(1), error: true), CancellationToken.None);
        await store.WriteAsync(SmallTrace("kept", at.AddSeconds(2)), CancellationToken.None);

        Assert.Equal(1, await cleanup.DeleteTracesAsync(["doomed", "never-written"], CancellationToken.None));

        Assert.Null(await ReportAsync(store, "doomed"));
        var all = await store.ListTracesAsync(new TraceListQuery(100), CancellationToken.None);
        Assert.Equal(["kept", "kept-error"], all.Traces.Select(t => t.BaseId));
        var errors = await store.ListTracesAsync(new TraceListQuery(100, ErrorsOnly: true), CancellationToken.None);
        Assert.Equal(["kept-error"], errors.Traces.Select(t => t.BaseId));
        Assert.Equal(0, await cleanup.DeleteTracesAsync(["doomed"], CancellationToken.None));
    }

    [Fact]
    public async Task A_pinned_trace_survives_a_prune_until_it_is_unpinned()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        if (store is not ITraceStorePinning pinning || store is not ITraceStorePruning pruning)
        {
            Assert.False(SupportsLifecycle, "the backend declares SupportsLifecycle but its store cannot pin or prune");
            return;
        }
        await store.WriteAsync(SmallTrace("pinned", LongAgo), CancellationToken.None);
        await store.WriteAsync(SmallTrace("unpinned", LongAgo), CancellationToken.None);

        Assert.True(await pinning.SetPinnedAsync("pinned", true, CancellationToken.None));
        Assert.True(await pinning.SetPinnedAsync("pinned", true, CancellationToken.None));
        Assert.False(await pinning.SetPinnedAsync("never-written", true, CancellationToken.None));
        Assert.Equal(["pinned"], await pinning.ListPinnedAsync(CancellationToken.None));

        Assert.Equal(new PruneResult(1, 2), await pruning.PruneAsync(Cutoff, dryRun: false, CancellationToken.None));
        Assert.NotNull(await ReportAsync(store, "pinned"));
        Assert.Null(await ReportAsync(store, "unpinned"));

        Assert.True(await pinning.SetPinnedAsync("pinned", false, CancellationToken.None));
        Assert.Empty(await pinning.ListPinnedAsync(CancellationToken.None));
        Assert.Equal(new PruneResult(1, 2), await pruning.PruneAsync(Cutoff, dryRun: false, CancellationToken.None));
        Assert.Null(await ReportAsync(store, "pinned"));
    }

    [Fact]
    public async Task Prune_goes_by_a_traces_newest_point_so_a_trace_still_being_written_is_kept()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        if (store is not ITraceStorePruning pruning)
        {
            Assert.False(SupportsLifecycle, "the backend declares SupportsLifecycle but its store cannot prune");
            return;
        }
        await store.WriteAsync(SmallTrace("old", LongAgo), CancellationToken.None);
        await store.WriteAsync(
        [
            Point("ongoing", "op1", "ongoing", "wsgi-start", LongAgo),
            Point("ongoing", "op2", "ongoing", "db-start", DateTime.UtcNow),
            Point("ongoing", "op2", "ongoing", "db-stop", DateTime.UtcNow),
        ], CancellationToken.None);

        Assert.Equal(new PruneResult(1, 2), await pruning.PruneAsync(Cutoff, dryRun: false, CancellationToken.None));

        Assert.Null(await ReportAsync(store, "old"));
        Assert.Equal(3, (await ReportAsync(store, "ongoing"))!.PointCount);
        var listed = await store.ListTracesAsync(new TraceListQuery(100), CancellationToken.None);
        Assert.Equal(["ongoing"], listed.Traces.Select(t => t.BaseId));
    }

    [Fact]
    public async Task A_dry_run_prune_counts_what_a_prune_would_remove_and_removes_nothing()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        if (store is not ITraceStorePruning pruning)
        {
            Assert.False(SupportsLifecycle, "the backend declares SupportsLifecycle but its store cannot prune");
            return;
        }
        await store.WriteAsync(SmallTrace("old-1", LongAgo), CancellationToken.None);
        await store.WriteAsync([.. SmallTrace("old-2", LongAgo.AddSeconds(1)), .. SmallTrace("old-2", LongAgo.AddSeconds(2))], CancellationToken.None);
        await store.WriteAsync(SmallTrace("recent", DateTime.UtcNow), CancellationToken.None);

        Assert.Equal(new PruneResult(2, 6), await pruning.PruneAsync(Cutoff, dryRun: true, CancellationToken.None));

        var listed = await store.ListTracesAsync(new TraceListQuery(100), CancellationToken.None);
        Assert.Equal(3, listed.Traces.Count);
        Assert.Equal(new PruneResult(2, 6), await pruning.PruneAsync(Cutoff, dryRun: false, CancellationToken.None));
        Assert.Equal(new PruneResult(0, 0), await pruning.PruneAsync(Cutoff, dryRun: true, CancellationToken.None));
    }

    [Fact]
    public async Task Statistics_count_traces_points_pins_and_the_oldest_and_newest_timestamp()
    {
        await using var store = await CreateStoreAsync(new DriverSettings());
        if (store is not ITraceStoreStatistics statistics)
        {
            Assert.False(SupportsLifecycle, "the backend declares SupportsLifecycle but its store cannot count");
            return;
        }
        var empty = await statistics.GetStatisticsAsync(CancellationToken.None);
        Assert.Equal((0L, 0L, (string?)null, (string?)null, 0L), (empty.Traces, empty.Points, empty.Oldest, empty.Newest, empty.Pinned));

        var first = new DateTime(2026, 4, 1, 10, 0, 0, DateTimeKind.Utc);
        await store.WriteAsync(SmallTrace("stats-1", first), CancellationToken.None);
        await store.WriteAsync([.. SmallTrace("stats-2", first.AddMinutes(1)), .. SmallTrace("stats-2", first.AddMinutes(2))], CancellationToken.None);
        if (store is ITraceStorePinning pinning) await pinning.SetPinnedAsync("stats-2", true, CancellationToken.None);

        var stats = await statistics.GetStatisticsAsync(CancellationToken.None);

        Assert.Equal(2, stats.Traces);
        Assert.Equal(6, stats.Points);
        Assert.Equal(TraceTimestamp.FromDateTime(first), TraceTimestamp.Parse(stats.Oldest!));
        Assert.Equal(TraceTimestamp.FromDateTime(first.AddMinutes(2).AddMilliseconds(5)), TraceTimestamp.Parse(stats.Newest!));
        Assert.Equal(store is ITraceStorePinning ? 1 : 0, stats.Pinned);
        Assert.True(stats.Bytes is null or > 0, $"bytes {stats.Bytes} for a store holding points");
    }
}
