using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Profiler.Domain;
using Profiler.Hosting.Web;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Hosting.Tests.Web;

/// <summary>
/// The web shell on a real Kestrel listener on 127.0.0.1 (a free port), over a SQLite store in a temporary folder,
/// with the SQLite driver loaded as a plugin from <c>plugins/</c> beside the test binaries.
/// </summary>
public sealed class ShellServer : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly WebApplication _app;

    private ShellServer(TempDirectory dir, WebApplication app, string url, LogCapture logs, WebShellOptions options)
    {
        _dir = dir;
        _app = app;
        Url = url.TrimEnd('/') + "/";
        Logs = logs;
        Options = options;
        Client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Url { get; }
    public HttpClient Client { get; }
    public LogCapture Logs { get; }
    public WebShellOptions Options { get; }
    public string Folder => _dir.Path;

    public static string PluginFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>
    /// <c>/health</c>'s time allowed for the store's answer in these servers: 60 s, not the default 5 s, so that a busy
    /// machine does not make a healthy store look down (a down store answers at once, whatever this is).
    /// </summary>
    public static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Starts a server. <paramref name="connectionString"/> defaults to a fresh SQLite file in the temp folder.</summary>
    public static async Task<ShellServer> StartAsync(long maxBodyBytes = WebShellOptions.DefaultMaxBodyBytes, string? ingestKey = null,
        DriverSettings? settings = null, Func<string, string>? connectionString = null, int pageSize = 50,
        Action<IServiceCollection>? services = null, TimeSpan? ttl = null, TimeSpan? pruneInterval = null, string? allowedHosts = null,
        int maxPointsPerListRow = 20_000)
    {
        var dir = new TempDirectory("profiler-web-");
        var cs = connectionString?.Invoke(dir.Path) ?? $"sqlite:///{dir.Path}/traces.db";
        var logs = new LogCapture();
        var options = new WebShellOptions
        {
            ConnectionString = cs, Urls = "http://127.0.0.1:0", PluginFolders = [PluginFolder], MaxBodyBytes = maxBodyBytes,
            IngestKey = ingestKey, DriverSettings = settings, DefaultPageSize = pageSize, RetryAfterSeconds = 7,
            HealthTimeout = HealthTimeout, AllowedHosts = allowedHosts, MaxPointsPerListRow = maxPointsPerListRow,
            Ttl = ttl, PruneInterval = pruneInterval ?? WebShellOptions.DefaultPruneInterval, PruneFirstDelay = pruneInterval ?? TimeSpan.FromSeconds(10),
        };
        var app = WebShell.Build(options, configure: builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        var url = app.ListeningUrls().Single();
        return new ShellServer(dir, app, url, logs, options);
    }

    /// <summary>POSTs points as a JSON array.</summary>
    public Task<HttpResponseMessage> PostPointsAsync(IEnumerable<TracePoint> points, string? key = null) =>
        PostAsync(PointsJson(points), key: key);

    public Task<HttpResponseMessage> PostAsync(byte[] body, string contentType = "application/json", string? key = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/points") { Content = content };
        if (key is not null) request.Headers.Add("X-Profiler-Ingest-Key", key);
        return Client.SendAsync(request);
    }

    public static byte[] PointsJson(IEnumerable<TracePoint> points)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            foreach (var p in points) TracePointJson.Write(writer, p);
            writer.WriteEndArray();
        }
        return stream.ToArray();
    }

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>Small traces made up for the tests.</summary>
public static class Traces
{
    public static readonly DateTime Start = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    public static TracePoint Point(string baseId, string traceId, string parentId, string name, DateTime at,
        JsonObject? info = null, string? project = "nova", string? service = "api") => new()
    {
        Name = name, BaseId = baseId, TraceId = traceId, ParentId = parentId,
        Timestamp = TraceTimestamp.FromDateTime(at).ToString(), Info = info ?? new JsonObject { ["host"] = "node-1" },
        Project = project, Service = service,
    };

    /// <summary>A request with two db calls; with <paramref name="failing"/> the second fails with a TimeoutException.</summary>
    public static List<TracePoint> Request(string baseId, DateTime at, bool failing = false)
    {
        var wsgi = baseId + "-wsgi";
        var points = new List<TracePoint>
        {
            Point(baseId, wsgi, baseId, "wsgi-start", at),
            Point(baseId, baseId + "-db1", wsgi, "db-start", at.AddMilliseconds(2),
                new JsonObject { ["host"] = "node-1", ["db"] = new JsonObject { ["statement"] = "SELECT 1" } }),
            Point(baseId, baseId + "-db1", wsgi, "db-stop", at.AddMilliseconds(5)),
            Point(baseId, baseId + "-db2", wsgi, "db-start", at.AddMilliseconds(6)),
            Point(baseId, baseId + "-db2", wsgi, "db-stop", at.AddMilliseconds(9), failing
                ? new JsonObject { ["host"] = "node-1", ["etype"] = "TimeoutException", ["message"] = "db timed out" }
                : null),
            Point(baseId, wsgi, baseId, "wsgi-stop", at.AddMilliseconds(12)),
        };
        return points;
    }

    /// <summary>A trace of exactly <paramref name="operations"/> operations: one root, 99 children, the rest spread under them.</summary>
    public static List<TracePoint> Large(string baseId, DateTime at, int operations = 10_000)
    {
        var points = new List<TracePoint>(operations * 2);
        var root = baseId + "-root";
        points.Add(Point(baseId, root, baseId, "wsgi-start", at));
        var mids = Math.Min(99, operations - 1);
        var leaves = operations - 1 - mids;
        var t = at;
        for (var m = 0; m < mids; m++)
        {
            var mid = $"{baseId}-m{m}";
            t = t.AddTicks(10);
            points.Add(Point(baseId, mid, root, "rpc-start", t, service: $"svc-{m % 7}"));
            var count = leaves / mids + (m < leaves % mids ? 1 : 0);
            for (var l = 0; l < count; l++)
            {
                var leaf = $"{mid}-l{l}";
                t = t.AddMilliseconds(0.05);
                points.Add(Point(baseId, leaf, mid, l % 10 == 0 ? "cache-start" : "db-start", t));
                t = t.AddMilliseconds(0.05);
                points.Add(Point(baseId, leaf, mid, l % 10 == 0 ? "cache-stop" : "db-stop", t));
            }
            points.Add(Point(baseId, mid, root, "rpc-stop", t.AddTicks(5), service: $"svc-{m % 7}"));
        }
        points.Add(Point(baseId, root, baseId, "wsgi-stop", t.AddMilliseconds(1)));
        return points;
    }
}
