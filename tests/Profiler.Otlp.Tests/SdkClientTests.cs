using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Profiler.Otlp.Tests;

/// <summary>The OpenTelemetry .NET SDK's own OTLP exporter, over http/protobuf and over gRPC, sending to the web shell.</summary>
public sealed class SdkClientTests
{
    private static readonly string[] ExpectedTree =
    [
        "0 GET /checkout 0..100 None shop/checkout@node-1",
        "1 db 10..30 None shop/checkout@node-1",
        "1 cache 40..41 System.InvalidOperationException shop/checkout@node-1",
        "1 rpc 50..90 None shop/checkout@node-1",
        "2 compute 60..80 None shop/checkout@node-1",
    ];

    [Theory]
    [InlineData("http/protobuf")]
    [InlineData("grpc")]
    public async Task A_span_tree_the_SDK_exports_reads_back_as_the_same_tree(string protocol)
    {
        await using var server = await OtlpServer.StartAsync();
        var sourceName = "profiler-otlp-test-" + protocol;

        var traceId = Export(sourceName, o =>
        {
            o.Protocol = protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
            o.Endpoint = new Uri(protocol == "grpc" ? server.GrpcUrl : server.Url + "v1/traces");
        });

        var baseId = new Guid(Convert.FromHexString(traceId), bigEndian: true).ToString();
        var report = await server.ReportAsync(baseId);
        Assert.True(report is not null, $"trace {baseId} was not stored; server log:\n{server.Logs.All}");
        Assert.Equal(ExpectedTree, JsonNodeReport.Tree(report));
        var db = report["children"]![0]!["children"]![0]!["info"]!;
        Assert.Equal("SELECT 1", (string)db["meta.raw_payload.db-start"]!["info"]!["db.statement"]!);
    }

    /// <summary>Exports the known tree (<see cref="ExpectedTree"/>) with the SDK; the trace id in hex.</summary>
    private static string Export(string sourceName, Action<OtlpExporterOptions> configure)
    {
        using var source = new ActivitySource(sourceName);
        using var provider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("checkout", serviceNamespace: "shop", autoGenerateServiceInstanceId: false)
                .AddAttributes([new("host.name", "node-1")]))
            .AddSource(sourceName)
            .SetSampler(new AlwaysOnSampler())
            .AddOtlpExporter(o =>
            {
                configure(o);
                o.ExportProcessorType = ExportProcessorType.Simple;
                o.TimeoutMilliseconds = 120_000; // generous: an export to the local server on a busy machine
            })
            .Build()!;
        var t0 = Spans.Start;
        string traceId;
        using (var root = Start(source, "GET /checkout", ActivityKind.Server, default, t0))
        {
            traceId = root.TraceId.ToHexString();
            root.SetTag("http.method", "GET");
            End(Start(source, "db", ActivityKind.Client, root.Context, t0.AddMilliseconds(10.001)).SetTag("db.statement", "SELECT 1"), t0.AddMilliseconds(30.5));
            var cache = Start(source, "cache", ActivityKind.Client, root.Context, t0.AddMilliseconds(40.007));
            cache.SetStatus(ActivityStatusCode.Error, "cache down");
            cache.AddException(new InvalidOperationException("cache down"));
            End(cache, t0.AddMilliseconds(41.5));
            using (var rpc = Start(source, "rpc", ActivityKind.Client, root.Context, t0.AddMilliseconds(50.3)))
            {
                End(Start(source, "compute", ActivityKind.Internal, rpc.Context, t0.AddMilliseconds(60)), t0.AddMilliseconds(80));
                rpc.SetEndTime(t0.AddMilliseconds(90.9));
            }
            root.SetEndTime(t0.AddMilliseconds(100.25));
        }
        Assert.True(provider.ForceFlush(120_000), "the SDK could not flush its spans");
        return traceId;
    }

    private static Activity Start(ActivitySource source, string name, ActivityKind kind, ActivityContext parent, DateTime at) =>
        source.StartActivity(name, kind, parent, startTime: at) ?? throw new InvalidOperationException("the SDK did not sample the activity");

    private static void End(Activity activity, DateTime at)
    {
        activity.SetEndTime(at);
        activity.Dispose();
    }
}
