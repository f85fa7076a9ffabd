using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Profiler.Hosting.Web;
using Profiler.Testing;

namespace Profiler.Faults.Tests.Input;

/// <summary>
/// The web shell on a real Kestrel listener on 127.0.0.1 (a free port) over a SQLite store in a temporary folder, with
/// the drivers loaded as plugins from <c>plugins/</c> beside the test binaries. Every log line is kept.
/// </summary>
public sealed class InProcessShell : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly WebApplication _app;

    private InProcessShell(TempDirectory dir, WebApplication app, string url, LogCapture logs)
    {
        _dir = dir;
        _app = app;
        Url = url.TrimEnd('/') + "/";
        Logs = logs;
        Client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Url { get; }
    public HttpClient Client { get; }
    public LogCapture Logs { get; }
    public string Folder => _dir.Path;

    public static string PluginFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    public static async Task<InProcessShell> StartAsync(long maxBodyBytes = WebShellOptions.DefaultMaxBodyBytes,
        IReadOnlyList<string>? hmacKeys = null, Func<string, string>? connectionString = null)
    {
        var dir = new TempDirectory("profiler-faults-web-");
        var logs = new LogCapture();
        var options = new WebShellOptions
        {
            ConnectionString = connectionString?.Invoke(dir.Path) ?? $"sqlite:///{dir.Path}/traces.db",
            Urls = "http://127.0.0.1:0", PluginFolders = [PluginFolder], MaxBodyBytes = maxBodyBytes,
            HmacKeys = hmacKeys ?? [],
            // A healthy store must not look down because a busy machine answered slowly (the default allows 5 s).
            HealthTimeout = TimeSpan.FromSeconds(60),
        };
        var app = WebShell.Build(options, configure: builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        });
        await app.StartAsync();
        return new InProcessShell(dir, app, app.ListeningUrls().Single(), logs);
    }

    public Task<HttpResponseMessage> PostAsync(byte[] body, string? contentType = "application/json", bool chunked = false,
        bool expectContinue = false)
    {
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        if (contentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (!chunked) content.Headers.ContentLength = body.Length;
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/points") { Content = content };
        if (expectContinue) request.Headers.ExpectContinue = true;
        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>Small valid points made up for the tests.</summary>
public static class Points
{
    public static string Json(string baseId, string traceId, string name = "db-start", string timestamp = "2026-03-01T12:00:00.000001") =>
        $"{{\"name\": \"{name}\", \"base_id\": \"{baseId}\", \"trace_id\": \"{traceId}\", \"parent_id\": \"{baseId}\", " +
        $"\"timestamp\": \"{timestamp}\", \"info\": {{\"host\": \"node-1\"}}, \"project\": \"nova\", \"service\": \"api\"}}";
}
