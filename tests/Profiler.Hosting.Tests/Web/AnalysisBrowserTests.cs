using System.Net;
using Microsoft.Playwright;
using Profiler.Domain.Reports;
using Profiler.Hosting.Rendering;
using Profiler.Testing;
using static Microsoft.Playwright.Assertions;

namespace Profiler.Hosting.Tests.Web;

/// <summary>
/// A web shell with two small traces, a <c>trace show --html</c> page of 100,000 operations, and Debian's Chromium
/// driven by Playwright (never downloaded: a missing /usr/bin/chromium fails every test here).
/// </summary>
public sealed class AnalysisBrowserFixture : IAsyncLifetime
{
    public const int HugeOperations = 100_000;
    public const int Mids = 999;

    private IPlaywright? _playwright;
    private readonly TempDirectory _dir = new("profiler-analysis-pages-");

    public ShellServer Server { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string HugePage { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(BrowserFixture.ChromiumPath))
            throw new InvalidOperationException($"{BrowserFixture.ChromiumPath} not found: install Debian's chromium (apt-get install chromium)");
        Server = await ShellServer.StartAsync();
        using (var post = await Server.PostPointsAsync([.. AnalysisApiTests.NPlusOne("n1").Points(), .. AnalysisApiTests.Batched("batched").Points()]))
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);

        HugePage = Path.Combine(_dir.Path, "huge.html");
        using (var writer = new StreamWriter(HugePage)) HtmlReportRenderer.Render(Huge(), "huge", writer);

        Assertions.SetDefaultExpectTimeout(60_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserFixture.ChromiumPath, Headless = true, Timeout = 60_000,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Directory.CreateDirectory(BrowserFixture.ScreenshotFolder);
    }

    /// <summary>
    /// A report of exactly <see cref="HugeOperations"/> operations: a root, <see cref="Mids"/> calls one after another,
    /// and leaves one after another under each (built directly, without raw payloads, to keep the page small).
    /// </summary>
    internal static TraceReport Huge()
    {
        var leaves = HugeOperations - 1 - Mids;
        var root = Node("root", "huge", "wsgi", 0, Mids * 300);
        for (var m = 0; m < Mids; m++)
        {
            var mid = Node($"m{m}", "root", "rpc", m * 300, m * 300 + 290);
            root.Children.Add(mid);
            var count = leaves / Mids + (m < leaves % Mids ? 1 : 0);
            for (var l = 0; l < count; l++) mid.Children.Add(Node($"m{m}-l{l}", mid.TraceId, l % 10 == 0 ? "cache" : "db", m * 300 + 2 * l, m * 300 + 2 * l + 2));
        }
        return new TraceReport { Finished = Mids * 300, LastTraceStarted = Mids * 300 - 10, Children = [root], Stats = [] };
    }

    private static ReportNode Node(string id, string parent, string name, long start, long end) => new()
    {
        TraceId = id, ParentId = parent, Name = name, Started = start, Finished = end, Exception = "None", RawPayloads = [],
        Host = "node-1", Project = "nova", Service = "api",
    };

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(120_000);
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        _dir.Dispose();
    }
}

public sealed class AnalysisBrowserTests(AnalysisBrowserFixture fixture) : IClassFixture<AnalysisBrowserFixture>
{
    private static Task<byte[]> ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotFolder, name), FullPage = true });

    private static Task<IElementHandle?> ReadyAsync(IPage page) => page.WaitForSelectorAsync("body[data-ready=true]");

    [Fact]
    public async Task The_trace_page_highlights_the_critical_path_shows_self_time_and_flags_the_N_plus_1_on_its_parent()
    {
        var page = await fixture.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);
        await page.GotoAsync(fixture.Server.Url + "traces/n1");
        await ReadyAsync(page);

        await Expect(page.Locator("#rows .row")).ToHaveCountAsync(8);
        await Expect(page.Locator("#rows .row.crit")).ToHaveCountAsync(8);
        var rpc = page.Locator("#rows .row[data-trace-id=rpc]");
        await Expect(rpc.Locator(".repeat")).ToHaveTextAsync("⚠ N+1: 5×");
        await Expect(rpc.Locator(".time").Nth(0)).ToHaveTextAsync("60 ms");
        await Expect(rpc.Locator(".time.self")).ToHaveTextAsync("25 ms");
        await Expect(page.Locator("#repeated li")).ToContainTextAsync("SELECT * FROM users WHERE id = ?");
        await Expect(page.Locator("#critical-path .crit-op")).ToHaveCountAsync(8);
        await Expect(page.Locator("#stats tbody tr").Filter(new() { HasText = "rpc" }).Locator("td").Nth(3)).ToHaveTextAsync("25");
        await ScreenshotAsync(page, "trace-analysis.png");

        await page.ClickAsync("#repeated .rep-parent");
        await Expect(page.Locator("#rows .row.selected")).ToHaveAttributeAsync("data-trace-id", "rpc");

        await page.ClickAsync("#view-flame");
        await Expect(page.Locator("#flame")).ToHaveAttributeAsync("data-drawn", "8");
        var box = (await page.Locator("#flame").BoundingBoxAsync())!;
        // Depth 1 at the left edge: the rpc (0–60 ms of 80).
        await page.Mouse.ClickAsync(box.X + 20, box.Y + 20 + 10);
        await Expect(page.Locator("#flame")).ToHaveAttributeAsync("data-selected", "rpc");
        await Expect(page.Locator("#flame-info")).ToContainTextAsync("self 25 ms");
        await ScreenshotAsync(page, "trace-flame.png");

        Assert.All(requests.Where(r => !r.EndsWith("/favicon.ico", StringComparison.Ordinal)), r => Assert.StartsWith(fixture.Server.Url, r));
    }

    [Fact]
    public async Task A_page_of_100000_operations_opens_scrolls_keeps_few_rows_draws_its_flame_graph_and_follows_the_critical_path()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(new Uri(fixture.HugePage).AbsoluteUri);
        await ReadyAsync(page);
        var shown = page.Locator("#shown");
        var total = AnalysisBrowserFixture.HugeOperations;

        await Expect(shown).ToHaveTextAsync($"{AnalysisBrowserFixture.Mids + 1} of {total} operations shown");
        await page.ClickAsync("#expand-all");
        await Expect(shown).ToHaveTextAsync($"{total} of {total} operations shown");
        await page.Locator("#viewport").EvaluateAsync("v => v.scrollTop = v.scrollHeight");
        var lastLeaf = $"m{AnalysisBrowserFixture.Mids - 1}-l{(total - 1 - AnalysisBrowserFixture.Mids) / AnalysisBrowserFixture.Mids - 1}";
        await Expect(page.Locator("#rows .row").Last).ToHaveAttributeAsync("data-trace-id", lastLeaf);
        Assert.InRange(await page.Locator("#rows .row").CountAsync(), 1, 150);
        Assert.InRange(await page.Locator("#rows .row.crit").CountAsync(), 1, 150);

        // Every operation runs after the one before it: the whole trace is its critical path; the list shows the first 500.
        await Expect(page.Locator("#critical-path .crit-op")).ToHaveCountAsync(500);
        var third = page.Locator("#critical-path .crit-op").Nth(2);
        var id = await third.GetAttributeAsync("data-trace-id");
        await third.ClickAsync();
        await Expect(page.Locator("#rows .row.selected")).ToHaveAttributeAsync("data-trace-id", id!);
        Assert.InRange(await page.Locator("#rows .row").CountAsync(), 1, 150);

        await page.ClickAsync("#view-flame");
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-view", "flame");
        await Expect(page.Locator("#flame")).ToHaveAttributeAsync("data-selected", id!);
        await Expect(page.Locator("#flame")).ToHaveAttributeAsync("data-drawn", new System.Text.RegularExpressions.Regex("^[1-9][0-9]*$"));
        await page.ClickAsync("#flame-reset");
        await Expect(page.Locator("#flame")).ToHaveAttributeAsync("data-from", "0");
        await ScreenshotAsync(page, "trace-flame-100000.png");
        await page.ClickAsync("#view-tree");
        await Expect(page.Locator("#rows .row.selected")).ToHaveAttributeAsync("data-trace-id", id!);
    }

    [Fact]
    public async Task A_trace_page_leads_to_the_compare_page_which_shows_both_traces_side_by_side_and_links_to_each()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(fixture.Server.Url + "traces/n1");
        await ReadyAsync(page);
        await page.ClickAsync("#compare-link");
        await Expect(page.Locator("#input-a")).ToHaveValueAsync("n1");
        await page.FillAsync("#input-b", "batched");
        await page.ClickAsync("form.pick button");

        await Expect(page.Locator("#by-name tbody tr")).ToHaveCountAsync(5);
        await Expect(page.Locator("#added")).ToContainTextAsync("cache");
        await Expect(page.Locator("#removed")).ToContainTextAsync("render");
        await Expect(page.Locator("#path-a li")).ToHaveCountAsync(8);
        await Expect(page.Locator("#path-b li")).ToHaveCountAsync(4);
        await ScreenshotAsync(page, "compare.png");
        await page.ClickAsync("#link-b");
        await ReadyAsync(page);
        await Expect(page.Locator("#base-id")).ToHaveTextAsync("batched");
    }
}
