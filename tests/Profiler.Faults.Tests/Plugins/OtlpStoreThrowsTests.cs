using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using Profiler.Cli.Tests;
using Profiler.Hosting.Web;
using Profiler.Testing;

namespace Profiler.Faults.Tests.Plugins;

/// <summary>
/// The OTLP receiver (what <c>profiler serve --otlp-grpc-urls</c> runs, on real Kestrel listeners) over the
/// <c>storethrows</c> plugin, whose store throws an exception the driver contract does not allow. That is neither the
/// store being down (UNAVAILABLE / 503, which an exporter retries for ever) nor the input's fault: gRPC answers INTERNAL
/// naming the request id under which the server log has the cause (not UNKNOWN without a reason), HTTP 500.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class OtlpStoreThrowsTests : IDisposable
{
    private const string Secret = "otlp-Pa55-w0rd";
    private readonly TempDirectory _work = new("profiler-faults-otlp-throws-");

    public void Dispose() => _work.Dispose();

    private string PublishFaultyDrivers()
    {
        var plugins = Path.Combine(_work.Path, "plugins");
        var faulty = Path.Combine(Fixtures.RepositoryRoot, "tests", "FaultyDrivers", "FaultyDrivers.csproj");
        ServerProcess.Run("dotnet", ["publish", faulty, "-c", "Release", "-o", Path.Combine(plugins, "FaultyDrivers"), "-nologo", "-v", "quiet"],
            timeout: TimeSpan.FromMinutes(5));
        return plugins;
    }

    private static ExportTraceServiceRequest OneSpan()
    {
        var start = (ulong)(new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100;
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Convert.FromHexString("0af7651916cd43dd8448eb211c80319c")),
            SpanId = ByteString.CopyFrom(Convert.FromHexString("b7ad6b7169203331")),
            Name = "db", StartTimeUnixNano = start, EndTimeUnixNano = start + 1_000,
        };
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { span } } } } } };
    }

    [Fact]
    public async Task A_store_that_throws_outside_the_contract_is_INTERNAL_over_gRPC_and_500_over_HTTP_never_UNAVAILABLE()
    {
        var plugins = PublishFaultyDrivers();
        WebApplication? app = null;
        int http = 0, grpc = 0;
        for (var attempt = 0; app is null; attempt++)
        {
            http = FreePort.Next();
            grpc = FreePort.Next();
            var candidate = WebShell.Build(new WebShellOptions
            {
                ConnectionString = $"storethrows://:{Secret}@store.example/x", Urls = $"http://127.0.0.1:{http}",
                OtlpGrpcUrls = $"http://127.0.0.1:{grpc}", PluginFolders = [plugins], HealthTimeout = TimeSpan.FromSeconds(60),
            }, configure: builder => builder.Logging.ClearProviders());
            try
            {
                await candidate.StartAsync();
                app = candidate;
            }
            catch (IOException) when (attempt < 5)
            {
                // A free port taken by someone else between the probe and the bind: try two others.
                await candidate.DisposeAsync();
            }
        }
        try
        {
            var (status, message) = await RawGrpc.ExportTracesAsync($"http://127.0.0.1:{grpc}", OneSpan().ToByteArray());
            var text = message ?? "";

            Assert.True(status == "13", $"grpc-status {status}: {text}");
            Assert.Contains("the server failed to store the spans (InvalidOperationException); the server log names the cause under request id", text);
            Assert.DoesNotContain(Secret, text);

            var body = new ByteArrayContent(OneSpan().ToByteArray());
            body.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            using var post = await client.PostAsync($"http://127.0.0.1:{http}/v1/traces", body);
            Assert.Equal(HttpStatusCode.InternalServerError, post.StatusCode);
            Assert.DoesNotContain(Secret, await post.Content.ReadAsStringAsync());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
