using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Profiler.Hosting.Web;
using Profiler.Testing;

namespace Profiler.Otlp.Tests;

/// <summary>
/// The web shell (what <c>profiler serve</c> runs) on real Kestrel listeners on 127.0.0.1: HTTP on a free port, and
/// OTLP/gRPC on another; over a SQLite store in a temporary folder, the driver loaded as a plugin.
/// </summary>
public sealed class OtlpServer : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly WebApplication _app;

    private OtlpServer(TempDirectory dir, WebApplication app, int httpPort, int grpcPort, LogCapture logs)
    {
        _dir = dir;
        _app = app;
        Url = $"http://127.0.0.1:{httpPort}/";
        GrpcUrl = $"http://127.0.0.1:{grpcPort}";
        Logs = logs;
        Client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Url { get; }
    public string GrpcUrl { get; }
    public HttpClient Client { get; }
    public LogCapture Logs { get; }

    public static string PluginFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    public static async Task<OtlpServer> StartAsync(long maxBodyBytes = WebShellOptions.DefaultMaxBodyBytes, string? ingestKey = null,
        string? connectionString = null)
    {
        var dir = new TempDirectory("profiler-otlp-");
        var logs = new LogCapture();
        for (var attempt = 0; ; attempt++)
        {
            var http = FreePort.Next();
            var grpc = FreePort.Next();
            var options = new WebShellOptions
            {
                ConnectionString = connectionString ?? $"sqlite:///{dir.Path}/traces.db", Urls = $"http://127.0.0.1:{http}",
                OtlpGrpcUrls = $"http://127.0.0.1:{grpc}", PluginFolders = [PluginFolder], MaxBodyBytes = maxBodyBytes,
                IngestKey = ingestKey, RetryAfterSeconds = 7,
            };
            var app = WebShell.Build(options, configure: builder =>
            {
                builder.Logging.ClearProviders();
                builder.Logging.AddProvider(logs);
                builder.Logging.SetMinimumLevel(LogLevel.Information);
            });
            try
            {
                await app.StartAsync();
                return new OtlpServer(dir, app, http, grpc, logs);
            }
            catch (IOException) when (attempt < 5)
            {
                // A free port taken by someone else between the probe and the bind: try two others.
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>The report of a trace from <c>GET /api/v1/traces/{id}</c>, or null when the trace is not there.</summary>
    public async Task<JsonNode?> ReportAsync(string baseId)
    {
        using var response = await Client.GetAsync($"api/v1/traces/{baseId}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET report {baseId}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text);
    }

    /// <summary>The base ids of the stored traces (first page of up to 1000).</summary>
    public async Task<List<string>> TraceIdsAsync()
    {
        using var response = await Client.GetAsync("api/v1/traces?limit=1000");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET traces: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!["traces"]!.AsArray().Select(t => (string)t!["base_id"]!).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _dir.Dispose();
    }
}
