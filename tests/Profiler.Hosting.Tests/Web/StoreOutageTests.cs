using System.Net;
using System.Text.Json.Nodes;

namespace Profiler.Hosting.Tests.Web;

public sealed class StoreOutageTests
{
    /// <summary>
    /// The store's database file cannot be opened because a folder stands where the file should be: SQLite answers
    /// "unable to open database file", exactly as for a missing volume. Removing the folder heals the store.
    /// </summary>
    [Fact]
    public async Task An_unreachable_store_is_503_with_Retry_After_and_the_server_recovers_without_a_restart()
    {
        string? dbPath = null;
        await using var server = await ShellServer.StartAsync(connectionString: dir =>
        {
            dbPath = Path.Combine(dir, "data", "traces.db");
            Directory.CreateDirectory(dbPath);
            return $"sqlite:///{dbPath}";
        });
        var body = ShellServer.PointsJson(Traces.Request("outage", Traces.Start));

        using (var health = await server.Client.GetAsync("health"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Equal("7", health.Headers.RetryAfter?.ToString());
        }
        using (var post = await server.PostAsync(body))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, post.StatusCode);
            Assert.Equal("7", post.Headers.RetryAfter?.ToString());
            Assert.Equal("application/problem+json", post.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await post.Content.ReadAsStringAsync())!;
            Assert.Contains("traces.db", (string)problem["detail"]!);
            Assert.DoesNotContain(" at ", (string)problem["detail"]!);
        }
        using (var list = await server.Client.GetAsync("api/v1/traces"))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, list.StatusCode);
        using (var report = await server.Client.GetAsync("api/v1/traces/outage"))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, report.StatusCode);
        using (var page = await server.Client.GetAsync(""))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        }

        Directory.Delete(dbPath!);

        using (var health = await server.Client.GetAsync("health"))
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using (var post = await server.PostAsync(body))
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var stored = await server.GetJsonAsync("api/v1/traces/outage");
        Assert.Equal(2, stored["stats"]!["db"]!["count"]!.GetValue<int>());
    }
}
