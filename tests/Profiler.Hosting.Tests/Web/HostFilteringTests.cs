using System.Net;

namespace Profiler.Hosting.Tests.Web;

/// <summary>
/// DNS rebinding: a web page whose own domain a DNS server points at 127.0.0.1 talks to a loopback shell as its own
/// origin. A loopback-only shell answers only the loopback host names, unless told to answer others.
/// </summary>
public sealed class HostFilteringTests
{
    private static async Task<HttpStatusCode> GetAs(ShellServer server, string host, HttpMethod? method = null, string path = "api/v1/traces")
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        request.Headers.Host = $"{host}:{new Uri(server.Url).Port}";
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_loopback_shell_refuses_a_request_for_another_host_name_and_answers_the_loopback_names()
    {
        await using var server = await ShellServer.StartAsync();
        using (await server.PostPointsAsync(Traces.Request("kept", Traces.Start))) { }

        Assert.Equal(HttpStatusCode.BadRequest, await GetAs(server, "attacker.example"));
        Assert.Equal(HttpStatusCode.BadRequest, await GetAs(server, "attacker.example", HttpMethod.Delete, "api/v1/traces/kept"));
        Assert.Equal(HttpStatusCode.OK, await GetAs(server, "localhost"));
        Assert.Equal(HttpStatusCode.OK, await GetAs(server, "127.0.0.1"));
        Assert.Equal(HttpStatusCode.OK, await GetAs(server, "[::1]"));
        // The refused DELETE deleted nothing.
        Assert.Single((await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray());
    }

    [Fact]
    public async Task Allowed_hosts_given_in_the_options_are_answered_as_a_reverse_proxy_forwards_them()
    {
        await using var server = await ShellServer.StartAsync(allowedHosts: "traces.example.org;localhost");

        Assert.Equal(HttpStatusCode.OK, await GetAs(server, "traces.example.org"));
        Assert.Equal(HttpStatusCode.BadRequest, await GetAs(server, "attacker.example"));
    }
}
