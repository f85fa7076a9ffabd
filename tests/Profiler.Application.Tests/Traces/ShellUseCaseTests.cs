using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application.Common;
using Profiler.Application.Stores.CheckStore;
using Profiler.Application.Traces.DeleteTraces;
using Profiler.Application.Traces.GetTraceOverviews;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Application.Tests.Traces;

/// <summary>The use cases behind the web shell's health check and list page and the bench's cleanup.</summary>
public sealed class ShellUseCaseTests
{
    private const string Trace = "8b1c4b4e-1f7a-4c55-9f43-0d9b8c1c2d3e";

    private static IMediator MediatorOver(ITraceStore store)
    {
        var services = new ServiceCollection();
        services.AddSingleton(store);
        services.AddApplicationServices();
        return services.BuildServiceProvider().GetRequiredService<IMediator>();
    }

    private static TracePoint Point(string name, string traceId, string parentId, string timestamp, string baseId = Trace, string? etype = null)
    {
        var info = new JsonObject { ["host"] = "h" };
        if (etype is not null) info["etype"] = etype;
        return new TracePoint
        {
            Name = name, BaseId = baseId, TraceId = traceId, ParentId = parentId, Timestamp = timestamp, Info = info,
            Project = "p", Service = "s",
        };
    }

    /// <summary>wsgi (0–250 ms) holding db (10–40 ms) and a cache call that failed (50–60 ms).</summary>
    private static TracePoint[] FailedRequest(string baseId = Trace) =>
    [
        Point("wsgi-start", "w", baseId, "2026-11-25T01:40:47.000000", baseId),
        Point("db-start", "d", "w", "2026-11-25T01:40:47.010000", baseId),
        Point("db-stop", "d", "w", "2026-11-25T01:40:47.040000", baseId),
        Point("cache-start", "c", "w", "2026-11-25T01:40:47.050000", baseId),
        Point("cache-stop", "c", "w", "2026-11-25T01:40:47.060000", baseId, etype: "TimeoutException"),
        Point("wsgi-stop", "w", baseId, "2026-11-25T01:40:47.250000", baseId),
    ];

    [Fact]
    public async Task A_store_that_answers_is_healthy()
    {
        var health = await MediatorOver(new InMemoryTraceStore()).Send(new CheckStoreQuery(TimeSpan.FromSeconds(5)));

        Assert.True(health.IsHealthy);
        Assert.Null(health.Problem);
    }

    [Fact]
    public async Task An_unreachable_store_is_unhealthy_with_the_stores_own_message()
    {
        var store = new ProbeStore { ReadFailure = new TraceStoreException("redis at 10.0.0.9:6379 refused the connection") };

        var health = await MediatorOver(store).Send(new CheckStoreQuery(TimeSpan.FromSeconds(5)));

        Assert.False(health.IsHealthy);
        Assert.Equal("redis at 10.0.0.9:6379 refused the connection", health.Problem);
        Assert.Equal([CheckStoreQueryHandler.ProbeId], store.Reads);
    }

    [Fact]
    public async Task A_store_that_does_not_answer_in_time_is_unhealthy_naming_the_time_allowed()
    {
        var store = new ProbeStore { Hang = true };

        var health = await MediatorOver(store).Send(new CheckStoreQuery(TimeSpan.FromMilliseconds(50)));

        Assert.False(health.IsHealthy);
        Assert.Equal("the store did not answer within 0.05 s", health.Problem);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(301)]
    public async Task A_health_check_timeout_out_of_range_is_refused_naming_it(int seconds)
    {
        var e = await Assert.ThrowsAsync<ValidationException>(() =>
            MediatorOver(new InMemoryTraceStore()).Send(new CheckStoreQuery(TimeSpan.FromSeconds(seconds))));

        Assert.Equal("timeout", Assert.Single(e.Errors).Property);
        Assert.Contains(TimeSpan.FromSeconds(seconds).ToString(), e.Message);
    }

    [Fact]
    public async Task Deleting_traces_goes_to_a_store_that_can_delete()
    {
        var store = new ProbeStore { Deletes = 2 };

        var result = await MediatorOver(store).Send(new DeleteTracesCommand(["bench-1-0", "bench-1-1", "bench-1-2"]));

        Assert.Equal(new DeleteTracesResult(true, 2), result);
        Assert.Equal(["bench-1-0", "bench-1-1", "bench-1-2"], Assert.Single(store.Deleted));
    }

    [Fact]
    public async Task Deleting_from_a_store_that_cannot_delete_says_so_and_deletes_nothing()
    {
        var result = await MediatorOver(new InMemoryTraceStore()).Send(new DeleteTracesCommand(["bench-1-0"]));

        Assert.Equal(new DeleteTracesResult(false, 0), result);
    }

    [Fact]
    public async Task Deleting_no_trace_or_an_unsafe_id_is_refused_before_the_store()
    {
        var store = new ProbeStore();
        var mediator = MediatorOver(store);

        var none = await Assert.ThrowsAsync<ValidationException>(() => mediator.Send(new DeleteTracesCommand([])));
        var unsafeId = await Assert.ThrowsAsync<ValidationException>(() => mediator.Send(new DeleteTracesCommand(["ok-1", "../etc"])));

        Assert.Contains("at least one trace", none.Message);
        Assert.Equal("base_ids[1]", Assert.Single(unsafeId.Errors).Property);
        Assert.Contains("../etc", unsafeId.Message);
        Assert.Empty(store.Deleted);
    }

    [Fact]
    public async Task An_overview_gives_duration_operations_and_the_first_failure()
    {
        var store = new InMemoryTraceStore();
        var mediator = MediatorOver(store);
        await mediator.Send(new RecordTracePointsCommand(FailedRequest()));

        var overviews = await mediator.Send(new GetTraceOverviewsQuery([Trace, "no-such-trace"], 1000));

        Assert.Equal(new TraceOverview(250, 3, "TimeoutException", false), overviews[Trace]);
        Assert.False(overviews.ContainsKey("no-such-trace"));
    }

    [Fact]
    public async Task An_overview_reads_at_most_its_point_limit_and_says_it_is_partial()
    {
        var store = new InMemoryTraceStore();
        var mediator = MediatorOver(store);
        await mediator.Send(new RecordTracePointsCommand(FailedRequest()));

        var overview = (await mediator.Send(new GetTraceOverviewsQuery([Trace], 3)))[Trace];

        Assert.True(overview.Partial);
        Assert.Equal(2, overview.Operations);
        Assert.Null(overview.ErrorType);
        Assert.Equal(40, overview.DurationMs);
    }

    [Fact]
    public async Task The_overview_and_the_report_are_built_by_the_same_reader()
    {
        var store = new InMemoryTraceStore();
        var mediator = MediatorOver(store);
        await mediator.Send(new RecordTracePointsCommand(FailedRequest()));

        var report = await mediator.Send(new GetTraceReportQuery(Trace));
        var read = await TraceReportReader.ReadAsync(store, Trace, maxPoints: null, CancellationToken.None);
        var overview = (await mediator.Send(new GetTraceOverviewsQuery([Trace], 1000)))[Trace];

        Assert.NotNull(report);
        Assert.Equal(report.Finished, read.Report!.Finished);
        Assert.Equal(report.Finished, overview.DurationMs);
        Assert.Equal(report.Stats.Sum(s => s.Value.Count), overview.Operations);
        Assert.False(read.Partial);
    }

    [Fact]
    public async Task Overviews_refuse_unsafe_ids_and_point_limits_out_of_range()
    {
        var mediator = MediatorOver(new InMemoryTraceStore());

        var unsafeId = await Assert.ThrowsAsync<ValidationException>(() => mediator.Send(new GetTraceOverviewsQuery(["a b"], 10)));
        var limit = await Assert.ThrowsAsync<ValidationException>(() => mediator.Send(new GetTraceOverviewsQuery([Trace], 0)));

        Assert.Contains("'a b'", unsafeId.Message);
        Assert.Equal("max_points_per_trace", Assert.Single(limit.Errors).Property);
    }

    /// <summary>A store that records what it was asked, can fail or hang on reads, and can delete.</summary>
    private sealed class ProbeStore : ITraceStore, ITraceStoreCleanup
    {
        public Exception? ReadFailure { get; init; }
        public bool Hang { get; init; }
        public int Deletes { get; init; }
        public List<string> Reads { get; } = [];
        public List<IReadOnlyList<string>> Deleted { get; } = [];

        public Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken) => Task.CompletedTask;

        public async IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Reads.Add(baseId);
            if (ReadFailure is not null) throw ReadFailure;
            if (Hang) await Task.Delay(Timeout.Infinite, cancellationToken);
            yield break;
        }

        public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) =>
            Task.FromResult(new TracePage([], null));

        public Task<int> DeleteTracesAsync(IReadOnlyList<string> baseIds, CancellationToken cancellationToken)
        {
            Deleted.Add(baseIds.ToList());
            return Task.FromResult(Deletes);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
