using System.Net;
using Profiler.Hosting.Web;

namespace Profiler.Hosting.Tests.Web;

/// <summary>The pages over plain HTTP: status codes, escaping in the markup itself, and the security headers.</summary>
public sealed class PageTests
{
    [Fact]
    public async Task Pages_are_html_with_a_policy_that_loads_nothing_from_anywhere()
    {
        await using var server = await ShellServer.StartAsync();
        using (await server.PostPointsAsync(Traces.Request("paged", Traces.Start))) { }

        foreach (var path in new[] { "", "traces/paged" })
        {
            using var response = await server.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            var csp = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", csp);
            Assert.Contains("script-src 'sha256-", csp);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            var html = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("http://", html.Replace(server.Url, ""));
            Assert.DoesNotContain("https://", html);
        }
    }

    [Fact]
    public async Task A_bad_search_field_on_the_list_page_is_a_page_naming_it_not_problem_json()
    {
        await using var server = await ShellServer.StartAsync();

        using var response = await server.Client.GetAsync("?since=bogus");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("bogus", html);
        Assert.Contains("href=\"./\"", html);
    }

    [Fact]
    public async Task Markup_in_trace_data_is_escaped_in_the_served_html()
    {
        await using var server = await ShellServer.StartAsync();
        var points = Traces.Request("marked", Traces.Start, failing: true);
        points[^2] = Traces.Point("marked", "marked-db2", "marked-wsgi", "db-stop", Traces.Start.AddMilliseconds(9),
            new System.Text.Json.Nodes.JsonObject { ["host"] = "h", ["etype"] = "<img src=x onerror=alert(1)>" });
        using (await server.PostPointsAsync(points)) { }

        var list = await server.Client.GetStringAsync("");
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", list);
        Assert.DoesNotContain("<img", list);
        var report = await server.Client.GetStringAsync("traces/marked");
        Assert.DoesNotContain("<img", report);
        Assert.Contains("\\u003cimg src=x onerror=alert(1)\\u003e", report, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unknown_or_invalid_trace_page_is_an_html_error_linking_back()
    {
        await using var server = await ShellServer.StartAsync();

        using var missing = await server.Client.GetAsync("traces/no-such-trace");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("text/html", missing.Content.Headers.ContentType?.MediaType);
        var html = await missing.Content.ReadAsStringAsync();
        Assert.Contains("no-such-trace", html);
        Assert.Contains("href=\"../\"", html);

        using var invalid = await server.Client.GetAsync("traces/bad%3Cid");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.DoesNotContain("<id", await invalid.Content.ReadAsStringAsync());

        using var badLimit = await server.Client.GetAsync("?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://localhost:5000;http://[::1]:5001", true)]
    [InlineData("http://0.0.0.0:5000", false)]
    [InlineData("http://*:5000", false)]
    [InlineData("http://127.0.0.1:5000;http://192.168.1.2:5000", false)]
    public void Loopback_only_addresses_are_recognised(string urls, bool loopback) =>
        Assert.Equal(loopback, WebShell.IsLoopbackOnly(urls));
}
