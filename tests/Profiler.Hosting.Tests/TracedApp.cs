using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Profiler.Infrastructure.Sql;
using Profiler.Instrumentation;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Hosting.Tests;

/// <summary>An ASP.NET Core app with the profiler middleware on a real Kestrel listener (127.0.0.1, free port) and a SQLite store.</summary>
internal sealed class TracedApp : IAsyncDisposable
{
    public const string Key = "SECRET_KEY";

    private readonly TempDirectory _dir = new();
    private WebApplication _app = null!;

    public ITraceStore Store { get; private set; } = null!;
    public string Url { get; private set; } = "";
    public HttpClient Client { get; } = new();
    public IServiceProvider Services => _app.Services;

    public static async Task<TracedApp> StartAsync(bool enabled = true, string keys = "other-key," + Key,
        Action<WebApplication>? endpoints = null, LogCapture? logs = null)
    {
        var t = new TracedApp();
        var builder = WebApplication.CreateBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        }
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Profiler:Enabled"] = enabled ? "true" : "false",
            ["Profiler:HmacKeys"] = keys,
            ["Profiler:Host"] = "dotnet-node",
            ["Profiler:Project"] = "demo",
            ["Profiler:Service"] = "web",
            ["Profiler:ConnectionString"] = $"sqlite:///{t._dir.Path}/traces.db",
        });
        // As an app wires it: the driver referenced directly, the store opened from the profiler's connection string.
        builder.Services.AddProfiler(builder.Configuration);
        builder.Services.AddTraceStoreDriver<SqliteDriver>();
        builder.Services.AddHttpClient("downstream").AddProfilerHandler();
        var app = builder.Build();
        app.UseProfiler();
        app.MapGet("/hello", async () =>
        {
            using (Tracing.Trace("inner", new JsonObject { ["step"] = 1 })) await Task.Delay(1);
            return "hi";
        });
        app.MapGet("/boom", (Func<string>)(() => throw new InvalidOperationException("kaboom")));
        app.MapGet("/call", async (IHttpClientFactory factory) =>
        {
            var response = await factory.CreateClient("downstream").GetAsync(t.Url + "/hello?from=call");
            return $"downstream said {(int)response.StatusCode}";
        });
        endpoints?.Invoke(app);
        await app.StartAsync();
        t._app = app;
        t.Store = app.Services.GetRequiredService<ITraceStore>();
        t.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return t;
    }

    public async Task<HttpResponseMessage> GetAsync(string path, TraceHeaderValues? headers = null, string? hmac = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url + path);
        if (headers is { } h)
        {
            request.Headers.Add(TraceHeaders.InfoHeader, h.Info);
            request.Headers.Add(TraceHeaders.HmacHeader, hmac ?? h.Hmac);
        }
        return await Client.SendAsync(request);
    }

    public async Task FlushAsync() =>
        Assert.True(await Services.GetRequiredService<TraceNotifier>().FlushAsync(Waiting.Patience));

    /// <summary>The stored points of one trace as JSON documents.</summary>
    public async Task<List<JsonObject>> PointsAsync(string baseId)
    {
        var points = new List<JsonObject>();
        await foreach (var p in Store.ReadTraceAsync(baseId, CancellationToken.None))
        {
            Assert.True(p.IsReadable, p.Problem);
            // SQL keeps the columns apart and only {"info": …} as the payload: put the point back together.
            var point = JsonNode.Parse(p.RawPayload)!.AsObject();
            point["name"] = p.Name;
            point["trace_id"] = p.TraceId;
            point["parent_id"] = p.ParentId;
            point["timestamp"] = p.Timestamp.ToString();
            point["project"] = p.Project;
            point["service"] = p.Service;
            points.Add(point);
        }
        return points;
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        // The container owns the store it opened, and disposes it.
        await _app.DisposeAsync();
        _dir.Dispose();
    }
}

internal static class Json
{
    public static JsonObject Named(this IEnumerable<JsonObject> points, string name) => Assert.Single(points, p => S(p, "name") == name);
    public static string? S(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.')) node = node?[part];
        return node?.GetValue<object>()?.ToString();
    }
}
