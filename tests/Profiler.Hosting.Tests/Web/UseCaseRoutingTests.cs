using System.Net;
using System.Text.Json.Nodes;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application.Stores.CheckStore;
using Profiler.Application.Traces.GetTraceOverviews;
using Profiler.Hosting.Web;

namespace Profiler.Hosting.Tests.Web;

/// <summary>The pages and <c>/health</c> go through the application's use cases, not straight to the store.</summary>
public sealed class UseCaseRoutingTests
{
    /// <summary>A pipeline step that records each request of one kind passing through the mediator.</summary>
    private sealed class Recorder<TRequest, TResponse> : IPipelineBehavior<TRequest, TResponse> where TRequest : IRequest<TResponse>
    {
        public List<TRequest> Seen { get; } = [];

        public Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
        {
            lock (Seen) Seen.Add(request);
            return next();
        }
    }

    [Fact]
    public async Task Health_asks_the_CheckStore_use_case_with_the_configured_timeout()
    {
        var recorder = new Recorder<CheckStoreQuery, StoreHealth>();
        await using var server = await ShellServer.StartAsync(services: s => s.AddSingleton<IPipelineBehavior<CheckStoreQuery, StoreHealth>>(recorder));

        using var health = await server.Client.GetAsync("health");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok", (string)JsonNode.Parse(await health.Content.ReadAsStringAsync())!["status"]!);
        Assert.Equal(server.Options.HealthTimeout, Assert.Single(recorder.Seen).Timeout);
    }

    [Fact]
    public async Task The_list_page_asks_the_GetTraceOverviews_use_case_only_for_the_failure_types_its_summaries_lack()
    {
        var recorder = new Recorder<GetTraceOverviewsQuery, IReadOnlyDictionary<string, TraceOverview>>();
        await using var server = await ShellServer.StartAsync(
            services: s => s.AddSingleton<IPipelineBehavior<GetTraceOverviewsQuery, IReadOnlyDictionary<string, TraceOverview>>>(recorder));
        using (await server.PostPointsAsync(Traces.Request("one", Traces.Start, failing: true))) { }
        using (await server.PostPointsAsync(Traces.Request("two", Traces.Start.AddSeconds(1)))) { }

        var html = await server.Client.GetStringAsync("");

        var query = Assert.Single(recorder.Seen);
        // The store's summaries give duration, operations and status; only a failed trace's exception type is read from its points.
        Assert.Equal(["one"], query.BaseIds);
        Assert.Equal(server.Options.MaxPointsPerListRow, query.MaxPointsPerTrace);
        Assert.Contains("✖ TimeoutException", html);
        Assert.Contains("12 ms", html);
    }

    [Fact]
    public async Task The_failed_traces_page_reads_their_failure_types_within_one_rows_budget_of_points_for_the_whole_page()
    {
        var recorder = new Recorder<GetTraceOverviewsQuery, IReadOnlyDictionary<string, TraceOverview>>();
        await using var server = await ShellServer.StartAsync(
            services: s => s.AddSingleton<IPipelineBehavior<GetTraceOverviewsQuery, IReadOnlyDictionary<string, TraceOverview>>>(recorder));
        var failed = Enumerable.Range(0, 4).Select(i => $"failed-{i}").ToList();
        foreach (var (id, i) in failed.Select((id, i) => (id, i)))
            using (await server.PostPointsAsync(Traces.Request(id, Traces.Start.AddSeconds(i), failing: true))) { }
        using (await server.PostPointsAsync(Traces.Request("fine", Traces.Start.AddSeconds(9)))) { }

        var html = await server.Client.GetStringAsync("?errors=true");

        var query = Assert.Single(recorder.Seen);
        Assert.Equal(failed, query.BaseIds.Order(StringComparer.Ordinal));
        // The page's traces share one row's budget: a page of failed traces reads no more than one trace of the listing may.
        Assert.True(query.BaseIds.Count * query.MaxPointsPerTrace <= server.Options.MaxPointsPerListRow,
            $"{query.BaseIds.Count} traces × {query.MaxPointsPerTrace} points is over the page's {server.Options.MaxPointsPerListRow}");
        // Small traces: each one's share still finds its failure.
        Assert.Equal(4, html.Split("holds a failed operation\">✖ TimeoutException</span>").Length - 1);
        Assert.DoesNotContain("traces/fine\"", html);
    }

    [Fact]
    public async Task A_failure_beyond_its_traces_share_of_the_pages_budget_shows_as_failed_and_the_traces_page_names_it()
    {
        // 12 points for the page: 3 failed traces get 4 points each, and each one's failure is its 5th point.
        await using var server = await ShellServer.StartAsync(maxPointsPerListRow: 12);
        foreach (var i in Enumerable.Range(0, 3))
            using (await server.PostPointsAsync(Traces.Request($"failed-{i}", Traces.Start.AddSeconds(i), failing: true))) { }

        var html = await server.Client.GetStringAsync("?errors=true");

        Assert.Equal(3, html.Split("holds a failed operation\">✖ failed</span>").Length - 1);
        Assert.DoesNotContain("TimeoutException", html);
        Assert.Contains("12 ms", html); // the duration still comes from the summary
        Assert.Contains("TimeoutException", await server.Client.GetStringAsync("traces/failed-0"));
    }

    [Fact]
    public void The_redactor_scrubs_the_password_through_the_connection_string_and_the_keys()
    {
        var redactor = new SecretRedactor(new WebShellOptions
        {
            ConnectionString = "redis://:s3cr%2Ft@127.0.0.1:6379/0", IngestKey = "ingest-key-1", HmacKeys = ["hmac-key-1", "k"],
        });

        var text = redactor.Redact("auth s3cr/t failed for s3cr%2Ft; key ingest-key-1 and hmac-key-1; k stays");

        Assert.Equal("auth *** failed for ***; key *** and ***; k stays", text);
    }
}
