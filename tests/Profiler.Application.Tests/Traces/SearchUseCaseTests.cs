using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application.Common;
using Profiler.Application.Traces.CountTraces;
using Profiler.Application.Traces.ListTraces;
using Profiler.Application.Traces.ReindexTraces;
using Profiler.Storage;

namespace Profiler.Application.Tests.Traces;

/// <summary>The search terms of the listing and the count: parsing, validation, and stores that cannot search.</summary>
public sealed class SearchUseCaseTests
{
    private static IMediator Mediator(ITraceStore store)
    {
        var services = new ServiceCollection();
        services.AddSingleton(store);
        services.AddApplicationServices();
        return services.BuildServiceProvider().GetRequiredService<IMediator>();
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120_000)]
    [InlineData("0ms", 0)]
    public void A_duration_is_a_number_with_ms_s_or_m(string text, double ms) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ms), TraceSearchTerms.ParseDuration(text));

    [Theory]
    [InlineData("5")]
    [InlineData("5h")]
    [InlineData("-1s")]
    [InlineData("fast")]
    [InlineData("")]
    public void Anything_else_is_not_a_duration(string text) => Assert.Null(TraceSearchTerms.ParseDuration(text));

    [Fact]
    public void A_time_is_an_ISO_timestamp_in_UTC_unless_it_has_an_offset_or_a_duration_ago()
    {
        var now = new DateTime(2026, 11, 29, 12, 0, 0, DateTimeKind.Utc);

        Assert.Equal(now.AddHours(-2), TraceSearchTerms.ParseTime("2h", now));
        Assert.Equal(now.AddDays(-7), TraceSearchTerms.ParseTime("7d", now));
        Assert.Equal(now.AddSeconds(-30), TraceSearchTerms.ParseTime("30s", now));
        Assert.Equal(new DateTime(2026, 11, 29, 10, 0, 0, DateTimeKind.Utc), TraceSearchTerms.ParseTime("2026-11-29T10:00:00", now));
        Assert.Equal(new DateTime(2026, 11, 29, 9, 0, 0, DateTimeKind.Utc), TraceSearchTerms.ParseTime("2026-11-29T10:00:00+01:00", now));
        Assert.Equal(new DateTime(2026, 11, 29, 0, 0, 0, DateTimeKind.Utc), TraceSearchTerms.ParseTime("2026-11-29", now));
        Assert.Null(TraceSearchTerms.ParseTime("yesterday", now));
        Assert.Null(TraceSearchTerms.ParseTime("2026-13-45", now));
        Assert.Null(TraceSearchTerms.ParseTime("29/11/2026", now));
    }

    [Theory]
    [InlineData("min", "fast", "min_duration 'fast' is not a duration: use <n>ms, <n>s or <n>m")]
    [InlineData("max", "10", "max_duration '10' is not a duration")]
    [InlineData("since", "yesterday", "since 'yesterday' is not a time: use an ISO timestamp")]
    [InlineData("until", "2026-02-30T00:00:00", "until '2026-02-30T00:00:00' is not a time")]
    [InlineData("service", "", "service '' is not a value to search for")]
    [InlineData("range", "", "min_duration '2s' is above max_duration '1s'")]
    [InlineData("order", "", "since '1h' is after until '2h'")]
    public async Task A_bad_term_is_a_ValidationException_naming_the_value_and_the_accepted_forms(string which, string value, string expected)
    {
        var terms = which switch
        {
            "min" => new TraceSearchTerms(MinDuration: value),
            "max" => new TraceSearchTerms(MaxDuration: value),
            "since" => new TraceSearchTerms(Since: value),
            "until" => new TraceSearchTerms(Until: value),
            "service" => new TraceSearchTerms(Service: value),
            "range" => new TraceSearchTerms(MinDuration: "2s", MaxDuration: "1s"),
            _ => new TraceSearchTerms(Since: "1h", Until: "2h"),
        };
        var mediator = Mediator(new InMemoryTraceStore());

        var list = await Assert.ThrowsAsync<ValidationException>(() => mediator.Send(new ListTracesQuery(10) { Search = terms }));
        var count = await Assert.ThrowsAsync<ValidationException>(() => mediator.Send(new CountTracesQuery(terms)));

        Assert.Contains(expected, list.Message);
        Assert.Contains(expected, count.Message);
    }

    [Fact]
    public async Task A_store_that_cannot_search_is_never_given_a_filter_but_still_lists()
    {
        var store = new InMemoryTraceStore();
        var mediator = Mediator(store);

        var e = await Assert.ThrowsAsync<CapabilityNotSupportedException>(() =>
            mediator.Send(new ListTracesQuery(10) { Search = new TraceSearchTerms(Service: "api") }));
        await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => mediator.Send(new CountTracesQuery()));
        await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => mediator.Send(new ReindexTracesCommand()));
        var page = await mediator.Send(new ListTracesQuery(10) { Search = new TraceSearchTerms() });

        Assert.Equal(nameof(ITraceStoreSearch), e.Contract);
        Assert.NotNull(page);
    }

    [Fact]
    public async Task The_terms_reach_the_store_as_its_filter()
    {
        var store = new SearchingStore();
        var mediator = Mediator(store);

        await mediator.Send(new ListTracesQuery(10, ErrorsOnly: true)
        {
            Search = new TraceSearchTerms("api", "nova", "h1", "db", "1s", "2m", "2026-11-29T10:00:00", "2026-11-29T11:00:00"),
        });
        var counted = await mediator.Send(new CountTracesQuery(new TraceSearchTerms(Name: "db")));

        Assert.Equal(new TraceFilter("api", "nova", "h1", "db", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2),
            new DateTime(2026, 11, 29, 10, 0, 0, DateTimeKind.Utc), new DateTime(2026, 11, 29, 11, 0, 0, DateTimeKind.Utc)), store.Seen!.Filter);
        Assert.True(store.Seen.ErrorsOnly);
        Assert.Equal(7, counted);
        Assert.Equal(new TraceFilter(Name: "db"), store.Counted!.Filter);
    }

    private sealed class SearchingStore : ITraceStore, ITraceStoreSearch
    {
        public TraceListQuery? Seen { get; private set; }
        public TraceListQuery? Counted { get; private set; }

        public Task WriteAsync(IReadOnlyList<Profiler.Domain.TracePoint> points, Guid batchId, CancellationToken cancellationToken) => Task.CompletedTask;

        public IAsyncEnumerable<Profiler.Domain.StoredPoint> ReadTraceAsync(string baseId, CancellationToken cancellationToken) =>
            AsyncEnumerable.Empty<Profiler.Domain.StoredPoint>();

        public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken)
        {
            Seen = query;
            return Task.FromResult(new TracePage([], null));
        }

        public Task<long> CountTracesAsync(TraceListQuery query, CancellationToken cancellationToken)
        {
            Counted = query;
            return Task.FromResult(7L);
        }

        public Task<long> ReindexAsync(CancellationToken cancellationToken) => Task.FromResult(0L);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
