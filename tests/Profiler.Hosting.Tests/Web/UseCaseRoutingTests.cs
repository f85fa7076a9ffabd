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
