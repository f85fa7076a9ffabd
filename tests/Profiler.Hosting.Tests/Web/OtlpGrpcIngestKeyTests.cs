using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Profiler.Hosting.Web;
using Profiler.Testing;

namespace Profiler.Hosting.Tests.Web;

/// <summary>
/// The OTLP/gRPC receiver (<c>TraceService/Export</c>) checks the ingest key from the call's headers, before it reads
/// the message: a caller without the key cannot make the server read or parse a body.
/// </summary>
public sealed class OtlpGrpcIngestKeyTests : IAsyncDisposable
{
    private const string Key = "grpc-ingest-K3y";
    private const string ExportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    private readonly TempDirectory _dir = new("profiler-web-grpc-");
    private WebApplication? _app;
    private string _grpcUrl = "";
    private string _httpUrl = "";

    private async Task StartAsync(long maxBodyBytes = WebShellOptions.DefaultMaxBodyBytes)
    {
        for (var attempt = 0; ; attempt++)
        {
            int http = FreePort.Next(), grpc = FreePort.Next();
            var app = WebShell.Build(new WebShellOptions
            {
                ConnectionString = $"sqlite:///{_dir.Path}/traces.db", Urls = $"http://127.0.0.1:{http}",
                OtlpGrpcUrls = $"http://127.0.0.1:{grpc}", PluginFolders = [ShellServer.PluginFolder], IngestKey = Key,
                MaxBodyBytes = maxBodyBytes, HealthTimeout = ShellServer.HealthTimeout,
            }, configure: builder => builder.Logging.ClearProviders());
            try
            {
                await app.StartAsync();
                (_app, _grpcUrl, _httpUrl) = (app, $"http://127.0.0.1:{grpc}", $"http://127.0.0.1:{http}/");
                return;
            }
            catch (IOException) when (attempt < 5)
            {
                // A free port taken by someone else between the probe and the bind: try two others.
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A gRPC request body sent as far as <paramref name="sent"/> bytes of a message framed as <paramref name="declared"/>
    /// bytes long, then held open until <see cref="Release"/>: the rest of the message never comes before that.
    /// </summary>
    private sealed class HeldBody(int declared, int sent) : HttpContent
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Sent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var frame = new byte[5 + sent];
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)declared);
            await stream.WriteAsync(frame);
            await stream.FlushAsync();
            Sent.TrySetResult();
            await _release.Task;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static HttpRequestMessage Call(HttpContent content, string? key)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        var call = new HttpRequestMessage(HttpMethod.Post, ExportPath)
        {
            Content = content, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        call.Headers.TE.ParseAdd("trailers");
        if (key is not null) call.Headers.Add("x-profiler-ingest-key", key);
        return call;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var t) ? t.First()
        : response.Headers.TryGetValues(name, out var h) ? h.First() : null;

    [Fact]
    public async Task Without_the_ingest_key_an_export_is_UNAUTHENTICATED_while_its_message_is_still_being_sent()
    {
        await StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(_grpcUrl), Timeout = Timeout.InfiniteTimeSpan };
        using var body = new HeldBody(declared: 64 * 1024, sent: 16);
        try
        {
            // The server answers from the headers: the answer comes though the message is not whole, and never will be
            // until the answer is here (a server that read the message first would wait for it, up to the backstop).
            using var response = await client.SendAsync(Call(body, key: null), HttpCompletionOption.ResponseHeadersRead).WaitAsync(Waiting.Patience);
            await body.Sent.Task;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("16", Header(response, "grpc-status"));
            Assert.Contains("ingest key", Uri.UnescapeDataString(Header(response, "grpc-message") ?? ""));
        }
        finally
        {
            body.Release();
        }
    }

    [Fact]
    public async Task Without_the_ingest_key_a_message_over_the_size_limit_is_UNAUTHENTICATED_not_read_and_found_too_large()
    {
        await StartAsync(maxBodyBytes: 1024);

        var (status, message) = await RawGrpc.ExportTracesAsync(_grpcUrl, new byte[4096]);

        Assert.True(status == "16", $"grpc-status {status}: {message}");
        Assert.Contains("ingest key", message);
    }

    [Fact]
    public async Task Without_the_ingest_key_a_message_that_is_not_protobuf_is_UNAUTHENTICATED_not_parsed()
    {
        await StartAsync();

        var (status, message) = await RawGrpc.ExportTracesAsync(_grpcUrl, [0xff, 0xff, 0xff, 0xff, 0x0f]);

        Assert.True(status == "16", $"grpc-status {status}: {message}");
    }

    [Theory]
    [InlineData(null, "16")]
    [InlineData("wrong-key", "16")]
    [InlineData(Key, "0")]
    public async Task An_empty_export_is_taken_with_the_ingest_key_only_and_other_requests_pass(string? key, string expected)
    {
        await StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(_grpcUrl), Timeout = TimeSpan.FromSeconds(60) };

        // An ExportTraceServiceRequest without spans: zero bytes, framed.
        using var response = await client.SendAsync(Call(new ByteArrayContent(new byte[5]), key));
        await response.Content.ReadAsByteArrayAsync();

        Assert.True(Header(response, "grpc-status") == expected, $"grpc-status {Header(response, "grpc-status")}: {Header(response, "grpc-message")}");
        using var http = new HttpClient { BaseAddress = new Uri(_httpUrl), Timeout = TimeSpan.FromSeconds(60) };
        using var health = await http.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        _dir.Dispose();
    }
}
