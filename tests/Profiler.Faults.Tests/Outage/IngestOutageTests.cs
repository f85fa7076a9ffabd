using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Profiler.Domain;
using Profiler.Hosting;
using Profiler.Hosting.Web;
using Profiler.Infrastructure.Redis;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Outage;

/// <summary>
/// <c>profiler serve</c>'s ingest (the web shell on Kestrel, 127.0.0.1, a free port) over a real redis-server that is
/// killed and started again: 503 with Retry-After while it is down, stored again once it is back, no restart.
/// </summary>
public sealed class IngestOutageTests(ITestOutputHelper output)
{
    private static string Body(string baseId, int n)
    {
        var at = DateTime.UtcNow;
        var op = $"{baseId}-op{n}";
        string Point(string name, DateTime t) =>
            $$$"""{"name": "{{{name}}}", "base_id": "{{{baseId}}}", "trace_id": "{{{op}}}", "parent_id": "{{{baseId}}}", "timestamp": "{{{TraceTimestamp.FromDateTime(t)}}}", "info": {"host": "ingest-node"}}""";
        return $"[{Point("upload-start", at)}, {Point("upload-stop", at.AddMilliseconds(3))}]";
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string body)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return client.PostAsync("api/v1/points", content);
    }

    [Fact]
    public async Task Ingest_answers_503_with_Retry_After_while_Redis_is_down_and_recovers_without_a_restart()
    {
        using var redis = new RedisProcess();
        var port = FreePort.Next();
        var options = new WebShellOptions
        {
            ConnectionString = redis.Url(), Urls = $"http://127.0.0.1:{port}", PluginFolders = [], RetryAfterSeconds = 3,
            HealthTimeout = TimeSpan.FromSeconds(60), // a down store answers at once; a slow machine must not look like one
        };
        var app = WebShell.Build(options, configure: builder =>
        {
            builder.Logging.ClearProviders();
            // The driver the plugin catalog would load for redis://, registered directly (the shell only adds one when none is),
            // with the settings the shell opens its store with (InteractiveReads: a 10 s socket_timeout), not OSProfiler's
            // 0.1 s service default, whose 2 s operations the first write (the scripts' first run) or the health check
            // after the restart can exceed on a busy machine: a 503 that is the clock's, not the outage's. The timeout is
            // part of what is exercised here (how long a down store takes to answer, how soon the shell reconnects), so
            // it is the shell's own rather than the suite's patient 30 s. A killed server refuses connections: the
            // POSTs while it is down are answered 503 at once whatever the timeout.
            builder.Services.AddSingleton(_ => new RedisDriver().Open(ConnectionString.Parse(redis.Url()), InteractiveReads.Apply(null)));
        });
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
            var baseId = Guid.NewGuid().ToString();
            using (var ok = await PostAsync(client, Body(baseId, 0)))
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

            redis.Kill();
            var down = Stopwatch.StartNew();
            var refused = 0;
            var slowest = TimeSpan.Zero;
            for (var i = 1; i <= 5; i++)
            {
                var sent = Stopwatch.StartNew();
                using var response = await PostAsync(client, Body(baseId, i));
                slowest = sent.Elapsed > slowest ? sent.Elapsed : slowest;
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"POST while Redis is down: {(int)response.StatusCode} {text}");
                Assert.Equal("3", response.Headers.RetryAfter?.ToString());
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Contains($"127.0.0.1:{redis.Port}", (string)JsonNode.Parse(text)!["detail"]!);
                refused++;
            }
            using (var health = await client.GetAsync("health"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
                Assert.Equal("3", health.Headers.RetryAfter?.ToString());
            }

            redis.Restart();
            var restarted = down.Elapsed;
            HttpStatusCode status;
            var attempts = 0;
            do
            {
                attempts++;
                using var response = await PostAsync(client, Body(baseId, 100));
                status = response.StatusCode;
                if (status != HttpStatusCode.OK)
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
                    await Task.Delay(200);
                }
            } while (status != HttpStatusCode.OK && down.Elapsed < restarted + Waiting.Patience);
            var recovered = down.Elapsed - restarted;
            Assert.True(status == HttpStatusCode.OK,
                $"waited {Waiting.Patience.TotalSeconds} s after the restart for ingest to answer 200 again; it answered {(int)status} {attempts} times");
            using (var health = await client.GetAsync("health"))
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            var report = JsonNode.Parse(await client.GetStringAsync($"api/v1/traces/{baseId}"))!;
            // Redis was not persistent: what it held before the kill is gone; the point posted after the restart is there.
            Assert.Equal(1, (int)report["stats"]!["upload"]!["count"]!);

            Figures.Print(output, "Web shell ingest over a killed and restarted redis-server:",
                ("outage", Figures.Ms(restarted)),
                ("POSTs answered 503", refused),
                ("slowest 503", Figures.Ms(slowest)),
                ("POSTs until stored again", attempts),
                ("recovered after restart", Figures.Ms(recovered)),
                ("shell restarts", 0));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
