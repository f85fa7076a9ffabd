using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;
using Profiler.Domain;
using Profiler.Hosting;
using Profiler.Instrumentation;
using Profiler.Storage;

namespace Profiler.Otlp.Tests;

/// <summary>
/// The otlp+http driver against answers that will not change when the same request is sent again: 413 (too large) is
/// split into halves down to one span, 400 and a partial success naming its spans refuse those points for good
/// (<see cref="TracePointsRefusedException"/>), so the notifier moves on instead of retrying one batch forever.
/// </summary>
public sealed class RefusalTests
{
    private const string BaseId = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    /// <summary>Small enough that a few spans do not fit in one request, large enough for any one ordinary span.</summary>
    private const long SmallBody = 400;

    private static ServiceProvider Open(OtlpServer server)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddTraceStore($"otlp+http://127.0.0.1:{new Uri(server.Url).Port}", new DriverSettings(), [OtlpServer.PluginFolder]);
        return services.BuildServiceProvider();
    }

    /// <summary>Span <paramref name="i"/>'s start and stop point, the start's info padded with <paramref name="padding"/> characters.</summary>
    private static TracePoint[] Span(int i, int padding = 10, string? name = null)
    {
        name ??= $"op{i}";
        var traceId = $"{i + 1:x16}";
        var start = new TracePoint
        {
            Name = $"{name}-start", BaseId = BaseId, TraceId = traceId, ParentId = BaseId,
            Timestamp = $"2026-03-01T12:00:{i % 60:00}.000001", Info = new JsonObject { ["host"] = "h", ["pad"] = new string('x', padding) },
        };
        var stop = new TracePoint
        {
            Name = $"{name}-stop", BaseId = BaseId, TraceId = traceId, ParentId = BaseId,
            Timestamp = $"2026-03-01T12:00:{i % 60:00}.000002", Info = new JsonObject { ["host"] = "h" },
        };
        return [start, stop];
    }

    private static int RequestSize(IEnumerable<TracePoint> points)
    {
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.AddRange(OtlpMapping.ToResourceSpans(points));
        return request.CalculateSize();
    }

    private static async Task<long> StoredPointsAsync(OtlpServer server) =>
        (long)JsonNode.Parse(await server.Client.GetStringAsync("api/v1/stats"))!["points"]!;

    private static async Task<List<string>> StoredNamesAsync(OtlpServer server)
    {
        var names = new List<string>();
        void Walk(JsonNode node)
        {
            foreach (var child in node["children"]!.AsArray())
            {
                names.Add((string)child!["info"]!["name"]!);
                Walk(child);
            }
        }
        Walk((await server.ReportAsync(BaseId))!);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    [Fact]
    public async Task A_batch_too_large_for_the_receiver_is_split_and_every_point_stored_once_also_when_written_again_under_its_id()
    {
        await using var server = await OtlpServer.StartAsync(maxBodyBytes: SmallBody);
        var points = Enumerable.Range(0, 30).SelectMany(i => Span(i)).ToList();
        Assert.True(RequestSize(points) > 4 * SmallBody, $"the batch ({RequestSize(points)} bytes) must need splitting");
        await using var forwarder = Open(server);
        var store = forwarder.GetRequiredService<ITraceStore>();
        var batchId = Guid.NewGuid();

        // As the notifier does after a lost reply: the same batch again under the same id splits the same way.
        await store.WriteAsync(points, batchId, CancellationToken.None);
        await store.WriteAsync(points, batchId, CancellationToken.None);

        Assert.Equal(points.Count, await StoredPointsAsync(server));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"op{i}").Order(StringComparer.Ordinal), await StoredNamesAsync(server));
    }

    [Fact]
    public async Task A_span_too_large_alone_is_refused_by_position_and_the_others_are_stored_once()
    {
        await using var server = await OtlpServer.StartAsync(maxBodyBytes: SmallBody);
        var points = Enumerable.Range(0, 12).SelectMany(i => Span(i, padding: i == 5 ? 2 * (int)SmallBody : 10)).ToList();
        await using var forwarder = Open(server);
        var store = forwarder.GetRequiredService<ITraceStore>();
        var batchId = Guid.NewGuid();

        var first = await Assert.ThrowsAsync<TracePointsRefusedException>(() => store.WriteAsync(points, batchId, CancellationToken.None));
        var again = await Assert.ThrowsAsync<TracePointsRefusedException>(() => store.WriteAsync(points, batchId, CancellationToken.None));

        Assert.Equal([10, 11], first.Refused);
        Assert.Equal([10, 11], again.Refused);
        Assert.Contains("'op5'", first.Message);
        Assert.Contains(BaseId, first.Message);
        Assert.Contains("413", first.Message);
        Assert.Contains("too large", first.Message);
        Assert.Equal(points.Count - 2, await StoredPointsAsync(server));
        Assert.DoesNotContain("op5", await StoredNamesAsync(server));
    }

    [Fact]
    public async Task A_request_the_receiver_answers_400_refuses_its_points_naming_the_receivers_reason()
    {
        await using var server = await OtlpServer.StartAsync();
        // Every span's name is over the 255 characters the point rules allow: the receiver rejects the whole request.
        var points = Enumerable.Range(0, 2).SelectMany(i => Span(i, name: new string('n', 300) + i)).ToList();
        await using var forwarder = Open(server);
        var store = forwarder.GetRequiredService<ITraceStore>();

        var e = await Assert.ThrowsAsync<TracePointsRefusedException>(() => store.WriteAsync(points, CancellationToken.None));

        Assert.Equal([0, 1, 2, 3], e.Refused);
        Assert.Contains("answered 400", e.Message);
        Assert.Contains("every span was rejected", e.Message);
        Assert.Equal(0, await StoredPointsAsync(server));
    }

    [Fact]
    public async Task A_400_that_is_not_an_OTLP_Status_stays_a_retried_TraceStoreException()
    {
        // What ASP.NET Core's host filtering (or a proxy) answers: HTML, not a google.rpc.Status; the spans were not looked at.
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapPost("/v1/traces", (HttpContext context) =>
        {
            context.Response.StatusCode = 400;
            context.Response.ContentType = "text/html";
            return context.Response.WriteAsync("<h1>Bad Request - Invalid Hostname</h1>");
        });
        await app.StartAsync();
        var url = app.Urls.Single();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddTraceStore($"otlp+http://127.0.0.1:{new Uri(url).Port}", new DriverSettings(), [OtlpServer.PluginFolder]);
        await using var forwarder = services.BuildServiceProvider();

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => forwarder.GetRequiredService<ITraceStore>().WriteAsync(Span(0), CancellationToken.None));

        Assert.Contains("answered 400", e.Message);
        Assert.Contains("Invalid Hostname", e.Message);
    }

    [Fact]
    public async Task Spans_a_partial_success_names_are_refused_by_position_and_the_others_are_stored()
    {
        await using var server = await OtlpServer.StartAsync();
        var points = new[] { Span(0), Span(1, name: "bad\u0001name"), Span(2) }.SelectMany(s => s).ToList();
        await using var forwarder = Open(server);
        var store = forwarder.GetRequiredService<ITraceStore>();

        var e = await Assert.ThrowsAsync<TracePointsRefusedException>(() => store.WriteAsync(points, CancellationToken.None));

        Assert.Equal([2, 3], e.Refused);
        Assert.Contains("partial success", e.Message);
        Assert.Equal(["op0", "op2"], await StoredNamesAsync(server));
    }

    [Fact]
    public async Task A_notifier_over_the_driver_keeps_sending_after_a_span_too_large_for_the_receiver()
    {
        await using var server = await OtlpServer.StartAsync(maxBodyBytes: SmallBody);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Profiler:Enabled"] = "true",
            ["Profiler:ConnectionString"] = $"otlp+http://127.0.0.1:{new Uri(server.Url).Port}",
        }).Build();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddProfiler(configuration).AddTraceStorePlugins([OtlpServer.PluginFolder]);
        using var host = builder.Build();
        await host.StartAsync();
        var notifier = (TraceNotifier)host.Services.GetRequiredService<ITraceEventSink>();
        var profiler = TraceProfiler.Init(null, sink: notifier);

        using (profiler.Trace("huge", new JsonObject { ["pad"] = new string('x', 2 * (int)SmallBody) })) { }
        Assert.True(await notifier.FlushAsync(TimeSpan.FromMinutes(1)), "the notifier is stuck on the span too large");
        for (var i = 0; i < 20; i++)
            using (profiler.Trace($"later{i}")) { }
        Assert.True(await notifier.FlushAsync(TimeSpan.FromMinutes(1)), "the notifier is stuck after the span too large");
        await host.StopAsync();

        Assert.Equal(2, notifier.RejectedCount);
        Assert.Equal(40, notifier.SentCount);
        Assert.Equal(0, notifier.DroppedCount);
        var report = await server.ReportAsync(profiler.BaseId);
        Assert.NotNull(report);
        Assert.Equal(20, report["children"]!.AsArray().Count);
    }
}
