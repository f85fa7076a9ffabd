using System.Text.Json.Nodes;
using Profiler.Domain;
using Xunit;

namespace Profiler.Storage.Testing;

/// <summary>
/// Search (docs/search.md): <see cref="TraceListQuery.Filter"/>, <see cref="ITraceStoreSearch"/> and the summary members
/// of <see cref="TraceSummary"/>. A store is filled with traces of known services, projects, hosts, operation names,
/// durations and errors, written by Profiler (some in two batches) and by OSProfiler (its own fixtures, written the way
/// OSProfiler stores them: <see cref="WriteAsOsProfilerAsync"/>, some before the first search and some after it);
/// every filter and several combinations are compared with the answer this class computes from the points itself.
/// </summary>
public abstract partial class TraceStoreContract
{
    /// <summary>
    /// Stores points the way OSProfiler's own collector does, bypassing whatever Profiler's writer keeps beside them
    /// (summaries, indexes), so that the suite sees how the store copes with traces another writer stored. The store
    /// has been written to through <see cref="ITraceStore.WriteAsync"/> before (its schema exists). Default: the
    /// store's own <see cref="ITraceStore.WriteAsync"/>, for a driver that keeps nothing beside the points.
    /// </summary>
    /// <summary>
    /// Whether the backend's stores search (<see cref="ITraceStoreSearch"/>, <see cref="TraceListQuery.Filter"/>, the
    /// summary members of <see cref="TraceSummary"/>). Default false: then the store must not implement
    /// <see cref="ITraceStoreSearch"/>, and the search tests check only that. A backend that searches overrides it with
    /// true; a store that lost the capability then fails instead of skipping silently.
    /// </summary>
    protected virtual bool SupportsSearch => false;

    protected virtual Task WriteAsOsProfilerAsync(ITraceStore store, IReadOnlyList<TracePoint> points) =>
        store.WriteAsync(points, CancellationToken.None);

    private static readonly DateTime SearchBase = new(2026, 11, 20, 12, 0, 0, DateTimeKind.Utc);

    private static readonly DriverSettings SearchSettings = new() { Service = "defsvc", Host = "defhost", FilterErrorTrace = true };

    /// <summary>A trace as this suite expects a search to see it, computed from its points alone.</summary>
    private sealed record ExpectedTrace(string BaseId, string Start, long StartUs, long DurationUs, string Root,
        IReadOnlySet<string> Services, IReadOnlySet<string> Projects, IReadOnlySet<string> Hosts, IReadOnlySet<string> Names,
        int Operations, bool Error);

    /// <summary>The points of one trace in the order stored, each with the project, service and host it is stored with.</summary>
    private static ExpectedTrace Expect(string baseId, IReadOnlyList<(TracePoint Point, string? Project, string? Service, string? Host)> stored)
    {
        var times = stored.Select(s => TraceTimestamp.Parse(s.Point.Timestamp)).ToList();
        var start = times.Min();
        var stop = times.Max();
        var first = stored[times.IndexOf(start)].Point.Name; // IndexOf: the first stored of equal timestamps
        static string Op(string name) =>
            name.EndsWith("-start", StringComparison.Ordinal) ? name[..^"-start".Length]
            : name.EndsWith("-stop", StringComparison.Ordinal) ? name[..^"-stop".Length] : name;
        static HashSet<string> Set(IEnumerable<string?> values) => [.. values.OfType<string>()];
        return new ExpectedTrace(baseId, start.ToString(), (start.Ticks - DateTime.UnixEpoch.Ticks) / 10,
            (stop.Ticks - start.Ticks) / 10, Op(first),
            Set(stored.Select(s => s.Service)), Set(stored.Select(s => s.Project)), Set(stored.Select(s => s.Host)),
            Set(stored.Select(s => Op(s.Point.Name))),
            stored.Count(s => s.Point.Name.EndsWith("-start", StringComparison.Ordinal)),
            stored.Any(s => s.Point.Name.EndsWith("-stop", StringComparison.Ordinal) && s.Point.ErrorType is not null));
    }

    private static readonly string[] RootServices = ["api", "worker", "web"];
    private static readonly string[] ChildNames = ["db", "rpc", "cache"];
    private static readonly string[] ChildServices = ["db", "api", "worker"];
    private static readonly int[] DurationsMs = [2, 15, 40, 120, 300, 800, 1500, 4000];

    /// <summary>
    /// Fills a new store: 24 traces by Profiler (a root operation with one child; services, projects, hosts, names,
    /// durations and errors varying with the index; every fourth written in two batches, its root's stop last; two
    /// sharing a start; one with points carrying no service or host, which get the settings' defaults), and
    /// OSProfiler's fixtures written as OSProfiler does, two of them only after <paramref name="between"/> ran.
    /// </summary>
    private async Task<(ITraceStore Store, Dictionary<string, ExpectedTrace> Expected)> FillSearchStoreAsync(Func<ITraceStore, Task>? between = null)
    {
        var store = await CreateStoreAsync(SearchSettings);
        var expected = new Dictionary<string, ExpectedTrace>(StringComparer.Ordinal);
        for (var i = 0; i < 24; i++)
        {
            var id = $"search-{i:D2}-{Guid.NewGuid():N}";
            var at = SearchBase.AddMinutes(5 * (i == 7 ? 6 : i)).AddTicks(i == 7 ? 0 : i * 10); // 6 and 7 share a start
            var duration = TimeSpan.FromMilliseconds(DurationsMs[i % DurationsMs.Length] + i);
            var rootHost = $"h{i % 3 + 1}";
            var childHost = i % 4 == 0 ? "h3" : rootHost;
            var service = i == 11 ? null : RootServices[i % 3];
            var project = i % 2 == 0 ? "nova" : "cinder";
            var child = Guid.NewGuid().ToString();
            var root = Guid.NewGuid().ToString();
            JsonObject Info(string? host) => host is null ? [] : new JsonObject { ["host"] = host };
            var rootStart = Point(id, root, id, "wsgi-start", at, i == 11 ? [] : Info(rootHost), project, service);
            var childStart = Point(id, child, root, ChildNames[i % 3] + "-start", at + duration / 4, Info(childHost), project, ChildServices[i % 3]);
            var childStopInfo = Info(childHost);
            if (i % 5 == 0)
            {
                childStopInfo["etype"] = "ValueError";
                childStopInfo["message"] = "boom";
            }
            var childStop = Point(id, child, root, ChildNames[i % 3] + "-stop", at + duration / 2, childStopInfo, project, ChildServices[i % 3]);
            var rootStop = Point(id, root, id, "wsgi-stop", at + duration, i == 11 ? [] : Info(rootHost), project, service);
            TracePoint[] points = [rootStart, childStart, childStop, rootStop];
            if (i % 4 == 1)
            {
                await store.WriteAsync(points[..3], CancellationToken.None);
                await store.WriteAsync(points[3..], CancellationToken.None);
            }
            else await store.WriteAsync(points, CancellationToken.None);
            expected[id] = Expect(id, [.. points.Select(p => (p, p.Project ?? SearchSettings.Project, p.Service ?? SearchSettings.Service, p.Host ?? SearchSettings.Host))]);
        }

        var fixtures = OsProfilerFixtures.All().Where(f => f.Backend == FixtureBackend).Select(f => FixtureTrace.Load(f.Shape, FixtureBackend)).ToList();
        async Task WriteFixtureAsync(FixtureTrace fixture)
        {
            // Each fixture under a new base id, so that a store may hold it beside the others.
            var id = "osp-" + Guid.NewGuid().ToString("N");
            var points = fixture.Points.Select(p => new TracePoint
            {
                Name = p.Name, BaseId = id, TraceId = p.TraceId, ParentId = p.ParentId == fixture.BaseId ? id : p.ParentId,
                // A SQL fixture's host is its row's host column (OSProfiler's setting), which a search sees.
                Timestamp = p.Timestamp, Info = WithHost(p.Info, p.Host is null ? fixture.SqlHost : null), Project = p.Project, Service = p.Service,
            }).ToList();
            await WriteAsOsProfilerAsync(store, points);
            expected[id] = Expect(id, [.. points.Select(p => (p, p.Project, p.Service, p.Host))]);
        }
        foreach (var fixture in fixtures.Take(2)) await WriteFixtureAsync(fixture);
        if (between is not null) await between(store);
        foreach (var fixture in fixtures.Skip(2)) await WriteFixtureAsync(fixture);
        return (store, expected);
    }

    private static JsonObject? WithHost(JsonObject? info, string? host)
    {
        var copy = info?.DeepClone().AsObject();
        if (host is null) return copy;
        copy ??= [];
        copy["host"] = host;
        return copy;
    }

    /// <summary>The searches the suite runs: a filter and the errors-only flag, by name.</summary>
    private static (TraceFilter Filter, bool ErrorsOnly) SearchCase(string name)
    {
        var since = SearchBase.AddMinutes(30);
        var until = SearchBase.AddMinutes(80);
        return name switch
        {
            "service" => (new TraceFilter(Service: "api"), false),
            "service of a child" => (new TraceFilter(Service: "db"), false),
            "default service" => (new TraceFilter(Service: "defsvc"), false),
            "project" => (new TraceFilter(Project: "cinder"), false),
            "host" => (new TraceFilter(Host: "h2"), false),
            "default host" => (new TraceFilter(Host: "defhost"), false),
            "name" => (new TraceFilter(Name: "db"), false),
            "name OSProfiler wrote" => (new TraceFilter(Name: "rpc"), false),
            "min duration" => (new TraceFilter(MinDuration: TimeSpan.FromMilliseconds(120)), false),
            "max duration" => (new TraceFilter(MaxDuration: TimeSpan.FromMilliseconds(40)), false),
            "duration range" => (new TraceFilter(MinDuration: TimeSpan.FromMilliseconds(40), MaxDuration: TimeSpan.FromMilliseconds(806)), false),
            "since" => (new TraceFilter(Since: since), false),
            "until" => (new TraceFilter(Until: until), false),
            "since and until" => (new TraceFilter(Since: since, Until: until), false),
            "errors with a service" => (new TraceFilter(Service: "api"), true),
            "errors with a duration" => (new TraceFilter(MinDuration: TimeSpan.FromMilliseconds(1)), true),
            "service, name and duration" => (new TraceFilter(Service: "api", Name: "db", MinDuration: TimeSpan.FromMilliseconds(100)), false),
            "project, host and until" => (new TraceFilter(Project: "nova", Host: "h1", Until: until), false),
            "name and errors" => (new TraceFilter(Name: "wsgi"), true),
            "everything" => (new TraceFilter("worker", "cinder", "h2", "rpc", TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5), SearchBase, since.AddHours(10)), false),
            "nothing matches" => (new TraceFilter(Service: "no-such-service"), false),
            "an OSProfiler project" => (new TraceFilter(Project: "neutron"), false),
            _ => throw new ArgumentException($"no search case '{name}'", nameof(name)),
        };
    }

    public static TheoryData<string> SearchCases() => new(SearchCaseNames);

    private static readonly string[] SearchCaseNames =
    [
        "service", "service of a child", "default service", "project", "host", "default host", "name", "name OSProfiler wrote",
        "min duration", "max duration", "duration range", "since", "until", "since and until", "errors with a service",
        "errors with a duration", "service, name and duration", "project, host and until", "name and errors", "everything",
        "nothing matches", "an OSProfiler project",
    ];

    private static bool Keeps(ExpectedTrace t, TraceFilter f, bool errorsOnly) =>
        (!errorsOnly || t.Error)
        && (f.Service is null || t.Services.Contains(f.Service))
        && (f.Project is null || t.Projects.Contains(f.Project))
        && (f.Host is null || t.Hosts.Contains(f.Host))
        && (f.Name is null || t.Names.Contains(f.Name))
        && (f.MinDuration is null || t.DurationUs >= f.MinDuration.Value.Ticks / 10)
        && (f.MaxDuration is null || t.DurationUs <= f.MaxDuration.Value.Ticks / 10)
        && (f.Since is null || t.StartUs >= (f.Since.Value.Ticks - DateTime.UnixEpoch.Ticks) / 10)
        && (f.Until is null || t.StartUs <= (f.Until.Value.Ticks - DateTime.UnixEpoch.Ticks) / 10);

    private static List<ExpectedTrace> NewestFirst(IEnumerable<ExpectedTrace> traces) =>
        [.. traces.OrderByDescending(t => t.StartUs).ThenByDescending(t => t.BaseId, StringComparer.Ordinal)];

    private static void AssertSummary(ExpectedTrace expected, TraceSummary actual, bool timestamp = true)
    {
        if (timestamp) Assert.Equal(expected.Start, actual.Timestamp);
        Assert.Equal(expected.DurationUs / 1000.0, actual.DurationMs);
        Assert.Equal(expected.Root, actual.Root);
        Assert.Equal(expected.Services.Order(StringComparer.Ordinal), actual.Services);
        Assert.Equal(expected.Operations, actual.Operations);
        Assert.Equal(expected.Error, actual.Error);
    }

    [Theory]
    [MemberData(nameof(SearchCases))]
    public async Task A_search_pages_exactly_the_traces_its_filter_keeps_newest_first_with_their_summaries(string name)
    {
        if (!SupportsSearch) return; // checked absent by The_store_searches_exactly_when_the_backend_declares_it…
        var (filter, errorsOnly) = SearchCase(name);
        var (store, all) = await FillSearchStoreAsync(async s =>
            // A search before some of OSProfiler's traces arrive: the later search must still find those.
            await s.ListTracesAsync(new TraceListQuery(5) { Filter = filter, ErrorsOnly = errorsOnly }, CancellationToken.None));
        await using var _ = store;
        var expected = NewestFirst(all.Values.Where(t => Keeps(t, filter, errorsOnly)));

        var (found, _) = await ListAllAsync(store, new TraceListQuery(3) { Filter = filter, ErrorsOnly = errorsOnly });

        Assert.Equal(expected.Select(t => t.BaseId), found.Select(t => t.BaseId));
        foreach (var (e, a) in expected.Zip(found)) AssertSummary(e, a);
        Assert.Equal(expected.Count, await ((ITraceStoreSearch)store).CountTracesAsync(
            new TraceListQuery(1) { Filter = filter, ErrorsOnly = errorsOnly }, CancellationToken.None));
    }

    [Fact]
    public async Task The_store_searches_exactly_when_the_backend_declares_it_and_the_cases_match_something()
    {
        if (!SupportsSearch)
        {
            await using var plain = await CreateStoreAsync(SearchSettings);
            Assert.False(plain is ITraceStoreSearch, "the store implements ITraceStoreSearch: override SupportsSearch with true");
            return;
        }
        var (store, all) = await FillSearchStoreAsync();
        await using var _ = store;

        Assert.IsAssignableFrom<ITraceStoreSearch>(store);
        // Every case but one keeps some traces and leaves some out, so that a store ignoring a filter fails.
        foreach (var name in SearchCaseNames.Where(n => n != "nothing matches"))
        {
            var (filter, errorsOnly) = SearchCase(name);
            var kept = all.Values.Count(t => Keeps(t, filter, errorsOnly));
            Assert.True(kept > 0 && kept < all.Count, $"search case '{name}' keeps {kept} of {all.Count} traces");
        }
    }

    [Fact]
    public async Task An_unfiltered_listing_shows_every_traces_summary_including_those_OSProfiler_wrote()
    {
        if (!SupportsSearch) return; // checked absent by The_store_searches_exactly_when_the_backend_declares_it…
        var (store, all) = await FillSearchStoreAsync();
        await using var _ = store;

        var (listed, _) = await ListAllAsync(store, new TraceListQuery(7));

        Assert.Equal(all.Keys.Order(StringComparer.Ordinal), listed.Select(t => t.BaseId).Order(StringComparer.Ordinal));
        // A store that takes the first stored point as the earliest (D3) may list another timestamp; the summary is the same.
        foreach (var trace in listed) AssertSummary(all[trace.BaseId], trace, timestamp: !EarliestIsFirstStored);
        Assert.Equal(all.Count, await ((ITraceStoreSearch)store).CountTracesAsync(new TraceListQuery(1), CancellationToken.None));
    }

    [Fact]
    public async Task A_search_returns_the_requested_fields_of_the_earliest_point()
    {
        if (!SupportsSearch) return; // checked absent by The_store_searches_exactly_when_the_backend_declares_it…
        var (store, all) = await FillSearchStoreAsync();
        await using var _ = store;

        var page = await store.ListTracesAsync(
            new TraceListQuery(50, Fields: ["base_id", "name", "service"]) { Filter = new TraceFilter(Project: "cinder") }, CancellationToken.None);

        Assert.NotEmpty(page.Traces);
        foreach (var trace in page.Traces)
        {
            Assert.Equal(trace.BaseId, trace.Fields["base_id"]);
            Assert.Equal(all[trace.BaseId].Root + "-start", trace.Fields["name"]);
        }
    }

    [Fact]
    public async Task Reindexing_rebuilds_the_same_answers()
    {
        if (!SupportsSearch) return; // checked absent by The_store_searches_exactly_when_the_backend_declares_it…
        var (store, all) = await FillSearchStoreAsync();
        await using var _ = store;
        var search = (ITraceStoreSearch)store;

        var reindexed = await search.ReindexAsync(CancellationToken.None);

        Assert.Equal(all.Count, reindexed);
        foreach (var name in (string[])["service", "duration range", "name and errors", "an OSProfiler project"])
        {
            var (filter, errorsOnly) = SearchCase(name);
            var expected = NewestFirst(all.Values.Where(t => Keeps(t, filter, errorsOnly)));
            var (found, _) = await ListAllAsync(store, new TraceListQuery(4) { Filter = filter, ErrorsOnly = errorsOnly });
            Assert.Equal(expected.Select(t => t.BaseId), found.Select(t => t.BaseId));
            foreach (var (e, a) in expected.Zip(found)) AssertSummary(e, a);
        }
    }

    [Fact]
    public async Task Deleted_traces_leave_the_search_and_its_count()
    {
        if (!SupportsLifecycle || !SupportsSearch) return; // deleting is a lifecycle capability; the other tests check what is absent
        var (store, all) = await FillSearchStoreAsync();
        await using var _ = store;
        var filter = new TraceFilter(Service: "api");
        var doomed = all.Values.Where(t => Keeps(t, filter, false)).Select(t => t.BaseId).Take(3).ToList();

        await ((ITraceStoreCleanup)store).DeleteTracesAsync(doomed, CancellationToken.None);

        var expected = NewestFirst(all.Values.Where(t => Keeps(t, filter, false) && !doomed.Contains(t.BaseId)));
        var (found, _) = await ListAllAsync(store, new TraceListQuery(5) { Filter = filter });
        Assert.Equal(expected.Select(t => t.BaseId), found.Select(t => t.BaseId));
        Assert.Equal(expected.Count, await ((ITraceStoreSearch)store).CountTracesAsync(new TraceListQuery(1) { Filter = filter }, CancellationToken.None));
    }

    [Fact]
    public async Task A_search_cursor_continues_only_after_the_page_that_gave_it()
    {
        if (!SupportsSearch) return; // checked absent by The_store_searches_exactly_when_the_backend_declares_it…
        var (store, all) = await FillSearchStoreAsync();
        await using var _ = store;
        var filter = new TraceFilter(Since: SearchBase);
        var expected = NewestFirst(all.Values.Where(t => Keeps(t, filter, false)));

        var first = await store.ListTracesAsync(new TraceListQuery(4) { Filter = filter }, CancellationToken.None);
        var second = await store.ListTracesAsync(new TraceListQuery(4, first.NextCursor) { Filter = filter }, CancellationToken.None);

        Assert.Equal(expected.Take(4).Select(t => t.BaseId), first.Traces.Select(t => t.BaseId));
        Assert.Equal(expected.Skip(4).Take(4).Select(t => t.BaseId), second.Traces.Select(t => t.BaseId));
        await Assert.ThrowsAsync<FormatException>(() =>
            store.ListTracesAsync(new TraceListQuery(4, "not-a-cursor") { Filter = filter }, CancellationToken.None));
    }
}
