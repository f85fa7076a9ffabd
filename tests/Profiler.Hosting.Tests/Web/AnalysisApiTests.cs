using System.Net;
using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Hosting.Tests.Web;

/// <summary>GET /api/v1/traces/{id}/analysis, GET /api/v1/diff and the /compare page.</summary>
public sealed class AnalysisApiTests
{
    /// <summary>An api call that looks five users up one by one under its rpc, then renders.</summary>
    internal static ConstructedTrace NPlusOne(string baseId)
    {
        var trace = new ConstructedTrace(baseId)
            .Op("wsgi", null, "wsgi", 0, 80)
            .Op("rpc", "wsgi", "rpc", 0, 60)
            .Op("render", "wsgi", "render", 60, 78);
        for (var i = 0; i < 5; i++) trace.Op($"db{i}", "rpc", "db", 5 + i * 10, 12 + i * 10, $"SELECT * FROM users WHERE id = {i * 7}");
        return trace;
    }

    internal static ConstructedTrace Batched(string baseId) => new ConstructedTrace(baseId)
        .Op("wsgi", null, "wsgi", 0, 30)
        .Op("rpc", "wsgi", "rpc", 0, 20)
        .Op("db0", "rpc", "db", 2, 12, "SELECT * FROM users WHERE id IN (0, 7, 14, 21, 28)")
        .Op("cache", "wsgi", "cache", 20, 29);

    private static async Task<ShellServer> StartAsync()
    {
        var server = await ShellServer.StartAsync();
        using var post = await server.PostPointsAsync([.. NPlusOne("n1").Points(), .. Batched("batched").Points()]);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        return server;
    }

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => (string)n!).ToArray();

    [Fact]
    public async Task The_analysis_endpoint_answers_the_same_JSON_as_trace_analyze()
    {
        await using var server = await StartAsync();

        var json = await server.GetJsonAsync("api/v1/traces/n1/analysis");

        Assert.Equal("n1", (string)json["base_id"]!);
        Assert.Equal(["wsgi", "rpc", "db0", "db1", "db2", "db3", "db4", "render"], Strings(json["critical_path"]));
        Assert.Equal(2, (long)json["self_ms"]!["wsgi"]!);
        Assert.Equal(25, (long)json["self_ms"]!["rpc"]!);
        var repeated = Assert.Single(json["repeated_statements"]!.AsArray())!;
        Assert.Equal(("SELECT * FROM users WHERE id = ?", 5, "rpc", 35L),
            ((string)repeated["statement"]!, (int)repeated["count"]!, (string)repeated["parent"]!, (long)repeated["total_ms"]!));
        Assert.Equal("rpc", (string)json["slowest"]![0]!["trace_id"]!);
    }

    [Fact]
    public async Task The_diff_endpoint_compares_two_traces_and_names_a_missing_one()
    {
        await using var server = await StartAsync();

        var json = await server.GetJsonAsync("api/v1/diff?a=n1&b=batched");

        Assert.Equal(5, (int)json["by_name"]!["db"]!["count_a"]!);
        Assert.Equal(1, (int)json["by_name"]!["db"]!["count_b"]!);
        Assert.Equal(35, (long)json["by_name"]!["db"]!["total_ms_a"]!);
        Assert.Equal(10, (long)json["by_name"]!["db"]!["self_ms_b"]!);
        Assert.Equal(["cache"], Strings(json["added"]));
        Assert.Equal(["render"], Strings(json["removed"]));
        Assert.Equal(["wsgi", "rpc", "db0", "cache"], Strings(json["critical_path"]!["b"]));

        using var missing = await server.Client.GetAsync("api/v1/diff?a=n1&b=nowhere");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("'nowhere'", await missing.Content.ReadAsStringAsync());
        using var notFound = await server.Client.GetAsync("api/v1/traces/nowhere/analysis");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
    }

    [Theory]
    [InlineData("api/v1/diff?a=n1", "b is missing")]
    [InlineData("api/v1/diff?a=bad*id&b=n1", "a 'bad*id'")]
    [InlineData("api/v1/traces/bad*id/analysis", "base id 'bad*id'")]
    public async Task A_bad_request_is_400_naming_the_value(string path, string expected)
    {
        await using var server = await ShellServer.StartAsync();

        using var response = await server.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_compare_page_shows_both_traces_per_name_and_their_critical_paths_without_script()
    {
        await using var server = await StartAsync();

        var html = await server.Client.GetStringAsync("compare?a=n1&b=batched");

        Assert.Contains("id=\"by-name\"", html);
        Assert.Contains("<tr class=\"added\" data-name=\"cache\">", html);
        Assert.Contains("<tr class=\"removed\" data-name=\"render\">", html);
        Assert.Contains("href=\"traces/n1\"", html);
        Assert.Contains("data-trace-id=\"db4\"", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("https://", html);
        var form = await server.Client.GetStringAsync("compare");
        Assert.Contains("<form class=\"pick\"", form);
        using var missing = await server.Client.GetAsync("compare?a=n1&b=nowhere");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
