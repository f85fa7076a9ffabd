using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Profiler.Instrumentation;
using Profiler.Hosting;
using Profiler.Storage;

namespace Profiler.Otlp.Tests;

/// <summary>The otlp+http driver, loaded as a plugin the way the CLI loads it, forwarding to the web shell's own receiver.</summary>
public sealed class ForwardingDriverTests
{
    public static TheoryData<string> Shapes() => new(Profiler.Testing.Fixtures.All().Select(f => f.Shape).Distinct());

    private static ServiceProvider Open(string connectionString)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddTraceStore(connectionString, new DriverSettings(), [OtlpServer.PluginFolder]);
        return services.BuildServiceProvider();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task OSProfiler_points_forwarded_in_batches_read_back_from_the_receiver_as_OSProfilers_report(string shape)
    {
        await using var server = await OtlpServer.StartAsync();
        var fixture = FixtureTrace.Load(shape, "redis");
        var forwarder = Open($"otlp+http://127.0.0.1:{new Uri(server.Url).Port}/v1/traces");
        var store = forwarder.GetRequiredService<ITraceStore>();

        // Batches of three: most starts and their stops land in different batches, as the notifier sends them.
        foreach (var batch in fixture.Points.Chunk(3)) await store.WriteAsync(batch, CancellationToken.None);
        await forwarder.DisposeAsync();   // sends what is still open (the unfinished shape's last start)

        var report = await server.ReportAsync(fixture.BaseId);
        Assert.NotNull(report);
        ReportAssert.Equivalent(FixtureTrace.ReportWithOwnHosts(shape, "redis"), report, payloadInfoOnly: true);
    }

    [Fact]
    public async Task A_batch_the_driver_sends_again_under_the_same_id_is_stored_once_by_Profilers_receiver()
    {
        using var dir = new Profiler.Testing.TempDirectory("profiler-otlp-once-");
        var collector = $"sqlite:///{dir.Path}/traces.db";
        var fixture = FixtureTrace.Load("simple", "redis");
        await using (var server = await OtlpServer.StartAsync(connectionString: collector))
        {
            await using var forwarder = Open($"otlp+http://127.0.0.1:{new Uri(server.Url).Port}");
            var store = forwarder.GetRequiredService<ITraceStore>();
            var batchId = Guid.NewGuid();

            // As the notifier does after a lost reply: the same batch, the same id; then the batch under a new id.
            await store.WriteAsync(fixture.Points, batchId, CancellationToken.None);
            await store.WriteAsync(fixture.Points, batchId, CancellationToken.None);
            await store.WriteAsync(fixture.Points, Guid.NewGuid(), CancellationToken.None);
        }

        await using var reader = Open(collector);
        var points = 0;
        await foreach (var _ in reader.GetRequiredService<ITraceStore>().ReadTraceAsync(fixture.BaseId, CancellationToken.None)) points++;
        // Stored once under the first id and once under the second: twice, never three times.
        Assert.Equal(2 * fixture.Points.Count, points);
    }

    [Fact]
    public async Task An_app_profiling_through_the_notifier_into_the_driver_reads_back_from_the_receiver()
    {
        await using var server = await OtlpServer.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Profiler:Enabled"] = "true", ["Profiler:Project"] = "shop", ["Profiler:Service"] = "api",
            ["Profiler:ConnectionString"] = $"otlp+http://127.0.0.1:{new Uri(server.Url).Port}",
        }).Build();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddProfiler(configuration).AddTraceStorePlugins([OtlpServer.PluginFolder]);
        string baseId;
        using (var host = builder.Build())
        {
            await host.StartAsync();
            var profiler = TraceProfiler.Init(null, sink: host.Services.GetRequiredService<ITraceEventSink>());
            baseId = profiler.BaseId;
            using (profiler.Trace("wsgi", new System.Text.Json.Nodes.JsonObject { ["path"] = "/orders" }))
            {
                using (profiler.Trace("db")) { }
                try
                {
                    profiler.Run("rpc", null, () => throw new TimeoutException("rpc timed out"));
                }
                catch (TimeoutException) { }
            }
            await host.StopAsync();   // the notifier flushes its last batch into the driver
        }

        var report = await server.ReportAsync(baseId);
        Assert.True(report is not null, $"trace {baseId} was not forwarded; server log:\n{server.Logs.All}");
        var lines = JsonNodeReport.Tree(report).Select(l => string.Join(' ', l.Split(' ').Where((_, i) => i != 2))).ToList();
        Assert.Equal(
            ["0 wsgi None shop/api@" + HostOf(report), "1 db None shop/api@" + HostOf(report), "1 rpc System.TimeoutException shop/api@" + HostOf(report)],
            lines);

        static string HostOf(System.Text.Json.Nodes.JsonNode report) => (string)report["children"]![0]!["info"]!["host"]!;
    }

    [Fact]
    public async Task Listing_and_showing_through_the_driver_say_it_cannot_read_back()
    {
        await using var forwarder = Open("otlp+http://127.0.0.1:9/");
        var store = forwarder.GetRequiredService<ITraceStore>();

        var list = await Assert.ThrowsAsync<TraceStoreException>(() => store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None));
        var show = await Assert.ThrowsAsync<TraceStoreException>(async () =>
        {
            await foreach (var _ in store.ReadTraceAsync("some-trace", CancellationToken.None)) { }
        });

        Assert.Contains("cannot read traces back", list.Message);
        Assert.Contains("http://127.0.0.1:9/v1/traces", show.Message);
    }

    [Fact]
    public async Task An_endpoint_that_refuses_the_batch_is_a_TraceStoreException_naming_its_answer()
    {
        await using var server = await OtlpServer.StartAsync(ingestKey: "needed");
        await using var forwarder = Open($"otlp+http://127.0.0.1:{new Uri(server.Url).Port}");
        var store = forwarder.GetRequiredService<ITraceStore>();
        var fixture = FixtureTrace.Load("simple", "redis");

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(fixture.Points, CancellationToken.None));

        Assert.Contains("answered 401", e.Message);
        Assert.Contains("ingest key", e.Message);
        Assert.Empty(await server.TraceIdsAsync());

        // The connection string's password is sent as the bearer token, which the receiver takes as its ingest key.
        await using var keyed = Open($"otlp+http://:needed@127.0.0.1:{new Uri(server.Url).Port}");
        await keyed.GetRequiredService<ITraceStore>().WriteAsync(fixture.Points, CancellationToken.None);
        Assert.Equal([fixture.BaseId], await server.TraceIdsAsync());
    }
}
