using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Profiler.Domain;
using Profiler.Hosting.Web;
using Profiler.Infrastructure.Redis;
using Profiler.Testing;

namespace Profiler.Faults.Tests.Outage;

/// <summary>
/// Issue 14, exactly once, end to end: <c>POST /api/v1/points</c> of the OTel Collector's default batch size (16,384
/// points, two writes of up to 10,000) without a batch id header, to the web shell on Kestrel over a real redis-server
/// reached through a <see cref="FaultProxy"/>. The reply to the first chunk's transaction is lost after Redis applied
/// it and the connection is cut: the client gets a 503 and sends the same request again, as every OTel exporter does.
/// Counted point by point in Redis, every point is stored once.
/// </summary>
public sealed class ChunkedLostReplyTests
{
    private static readonly TimeSpan Backstop = TimeSpan.FromMinutes(2);

    private static byte[] Body(string baseId, int operations)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            var at = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
            for (var i = 0; i < operations; i++)
                foreach (var name in new[] { "db-start", "db-stop" })
                    TracePointJson.Write(writer, new TracePoint
                    {
                        Name = name, BaseId = baseId, TraceId = $"{baseId}-op{i}", ParentId = baseId,
                        Timestamp = TraceTimestamp.FromDateTime(at.AddMilliseconds(i)).ToString(),
                        Info = new System.Text.Json.Nodes.JsonObject { ["host"] = "node-1" },
                    });
            writer.WriteEndArray();
        }
        return stream.ToArray();
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await client.PostAsync("api/v1/points", content);
    }

    [Fact]
    public async Task On_Redis_a_two_chunk_request_whose_first_reply_was_lost_and_that_is_sent_again_is_stored_once()
    {
        using var redis = new RedisProcess();
        await using var proxy = new FaultProxy(redis.Port);
        var url = $"redis://127.0.0.1:{proxy.Port}/0";
        var port = FreePort.Next();
        var app = WebShell.Build(new WebShellOptions
        {
            ConnectionString = url, Urls = $"http://127.0.0.1:{port}", PluginFolders = [], HealthTimeout = TimeSpan.FromSeconds(60),
        }, configure: builder =>
        {
            builder.Logging.ClearProviders();
            // Patient: OSProfiler's 0.1 s default gives 2 s operations, which the first write (the scripts' first run)
            // can exceed on a busy machine — a 503 that is the clock's, not the fault's. The lost reply is a cut
            // connection, seen at once whatever the timeout.
            builder.Services.AddSingleton(_ => new RedisDriver().Open(ConnectionString.Parse(url), Patient.Settings));
        });
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(120) };
            // A first small write without fault: the connection and the store's first-write checks are in place.
            using (var warmUp = await PostAsync(client, Body("warm-up", 1)))
                Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
            var body = Body("chunked", 8_192);

            // Each chunk is one MULTI … EXEC; the first EXEC's reply (an array, the first '*') is lost after Redis applied it.
            var cut = proxy.CutAfterReplyTo("EXEC", replyMarker: "*");
            using (var first = await PostAsync(client, body))
            {
                var text = await first.Content.ReadAsStringAsync();
                Assert.True(first.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)first.StatusCode} {text}");
            }
            Assert.True(await cut.WaitAsync(Backstop) > 0);
            Assert.Equal("10000", redis.Cli("LLEN", "osprofiler_opt:chunked").Trim());

            // The client sends the same request again (while the multiplexer reconnects it may get a 503 again, and retries).
            var attempts = 0;
            await Waiting.UntilAsync(async () =>
            {
                attempts++;
                using var again = await PostAsync(client, body);
                if (again.StatusCode == HttpStatusCode.OK) return true;
                Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
                return false;
            }, "the request sent again to be answered 200", state: () => $"{attempts} attempt(s)");

            Assert.Equal(1, proxy.Cuts);
            Assert.Equal("16384", redis.Cli("LLEN", "osprofiler_opt:chunked").Trim());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
