using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Profiler.Domain.Reports;
using Profiler.Hosting.Rendering;
using ThirdPartyDriver;
using static Microsoft.Playwright.Assertions;

namespace Profiler.Hosting.Tests.Web;

/// <summary>
/// The Pin, Unpin and Delete buttons of a trace's page in the web shell (never in <c>trace show --html</c>), driven
/// in Chromium against the JSON Lines driver, with an ingest key the buttons ask for.
/// </summary>
public sealed partial class TraceActionsTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ExecutableScript();

    private static Task<ShellServer> JsonLinesServer(string? ingestKey) =>
        ShellServer.StartAsync(ingestKey: ingestKey, connectionString: dir => $"jsonl:///{dir}/store",
            services: s => s.AddTraceStoreDriver(new JsonLinesDriver()));

    [Fact]
    public void The_page_trace_show_writes_has_no_actions()
    {
        var builder = new ReportBuilder();
        foreach (var p in Traces.Request("offline", Traces.Start))
            builder.Add(Profiler.Domain.StoredPoint.FromDocument(Encoding.UTF8.GetString(Profiler.Domain.TracePointJson.ToUtf8(p))));

        var html = HtmlReportRenderer.Render(builder.Build(), "offline");

        Assert.DoesNotContain("trace-actions", html);
        Assert.DoesNotContain(PageAssets.Read("actions.js"), html);
    }

    [Fact]
    public async Task The_served_page_has_the_actions_and_the_policy_allows_exactly_its_two_scripts()
    {
        await using var server = await JsonLinesServer(ingestKey: "k");
        using (var post = await server.PostPointsAsync(Traces.Request("served", Traces.Start), "k")) Assert.Equal(HttpStatusCode.OK, post.StatusCode);

        using var response = await server.Client.GetAsync("traces/served");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Contains("data-api=\"../api/v1/traces/served\"", html);
        Assert.Contains("data-key-required=\"true\"", html);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        var scripts = ExecutableScript().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, scripts.Count);
        foreach (var script in scripts)
            Assert.Contains("'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script))) + "'", policy);
        Assert.Contains("connect-src 'self'", policy);
    }

    [Fact]
    public async Task Pin_unpin_and_delete_call_the_API_with_the_ingest_key_the_page_asks_for()
    {
        await using var server = await JsonLinesServer(ingestKey: "the-key");
        using (var post = await server.PostPointsAsync([.. Traces.Request("doomed", Traces.Start), .. Traces.Request("kept", Traces.Start)], "the-key"))
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var page = await fixture.Browser.NewPageAsync();
        var prompts = 0;
        page.Dialog += async (_, dialog) =>
        {
            if (dialog.Type == DialogType.Prompt) prompts++;
            await dialog.AcceptAsync(dialog.Type == DialogType.Prompt ? "the-key" : null);
        };

        await page.GotoAsync(server.Url + "traces/doomed");
        await page.ClickAsync("#pin");
        await Expect(page.Locator("#action-status")).ToHaveTextAsync("Pinned: kept by retention and prune.");
        Assert.Equal(1, (long)(await server.GetJsonAsync("api/v1/stats"))["pinned"]!);

        await page.ClickAsync("#unpin");
        await Expect(page.Locator("#action-status")).ToHaveTextAsync("Unpinned.");
        Assert.Equal(0, (long)(await server.GetJsonAsync("api/v1/stats"))["pinned"]!);

        await page.ClickAsync("#delete");
        // The page goes back to the list once the API answered; the URL is polled (not the list's load event, which a
        // loaded machine may take long to fire), with room for a busy CI machine.
        await Expect(page).ToHaveURLAsync(server.Url, new() { Timeout = 120_000 });
        var listed = (await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray().Select(t => (string)t!["base_id"]!);
        Assert.Equal(["kept"], listed);
        Assert.Equal(1, prompts);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_wrong_key_shows_the_servers_answer_and_changes_nothing()
    {
        await using var server = await JsonLinesServer(ingestKey: "the-key");
        using (var post = await server.PostPointsAsync(Traces.Request("t1", Traces.Start), "the-key")) Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var page = await fixture.Browser.NewPageAsync();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync("wrong");

        await page.GotoAsync(server.Url + "traces/t1");
        await page.ClickAsync("#pin");

        await Expect(page.Locator("#action-status")).ToContainTextAsync("ingest key");
        Assert.Equal(0, (long)(await server.GetJsonAsync("api/v1/stats"))["pinned"]!);
        await page.CloseAsync();
    }
}
