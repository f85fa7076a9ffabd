using System.Diagnostics;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Profiler.Hosting.Tests.Web;

public sealed class BrowserTests(BrowserFixture fixture, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    private string Url => fixture.Server.Url;

    private static Task<byte[]> ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotFolder, name), FullPage = true });

    private static Task<IElementHandle?> ReadyAsync(IPage page) => page.WaitForSelectorAsync("body[data-ready=true]");

    [Fact]
    public async Task The_list_page_shows_start_duration_and_failures_and_links_to_reports_and_back()
    {
        var page = await fixture.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);

        await page.GotoAsync(Url);
        var rows = page.Locator("#traces tbody tr");
        await Expect(rows).ToHaveCountAsync(5);
        var failed = rows.Filter(new() { HasText = "demo-failed" });
        await Expect(failed.Locator(".error-marker")).ToHaveTextAsync("✖ TimeoutException");
        await Expect(failed.Locator("td").Nth(2)).ToHaveTextAsync("12 ms");
        await Expect(failed.Locator("td").Nth(3)).ToHaveTextAsync("3");
        await Expect(failed.Locator("td").Nth(0)).ToHaveTextAsync("2026-03-01 12:11:00.000000");
        await Expect(rows.Filter(new() { HasText = "demo-ok" }).Locator(".ok")).ToHaveTextAsync("ok");
        await Expect(rows.Filter(new() { HasText = "large-trace" }).Locator("td").Nth(3)).ToHaveTextAsync("10000");
        await ScreenshotAsync(page, "trace-list.png");

        await page.ClickAsync("a.trace-link:text-is('demo-failed')");
        await ReadyAsync(page);
        Assert.EndsWith("/traces/demo-failed", page.Url);
        await Expect(page.Locator("#base-id")).ToHaveTextAsync("demo-failed");
        await Expect(page.Locator("#summary")).ToContainTextAsync("1 failed");

        await page.ClickAsync("#list-link");
        await Expect(rows).ToHaveCountAsync(5);
        Assert.Equal(Url, page.Url);

        await page.ClickAsync("#next-page");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(page.Locator("#traces")).ToContainTextAsync("older-0");
        await Expect(page.Locator("#next-page")).ToHaveCountAsync(0);
        await page.ClickAsync("#first-page");
        await Expect(rows).ToHaveCountAsync(5);

        await page.ClickAsync("#failed-traces");
        await Expect(rows).ToHaveCountAsync(2);

        // Self-contained: nothing but the shell's own pages was requested (a browser may still ask for a favicon).
        Assert.All(requests.Where(r => !r.EndsWith("/favicon.ico", StringComparison.Ordinal)),
            r => Assert.StartsWith(Url, r));
    }

    [Fact]
    public async Task The_report_tree_expands_collapses_filters_and_shows_raw_payloads()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(Url + "traces/demo-failed");
        await ReadyAsync(page);
        var shown = page.Locator("#shown");
        await Expect(shown).ToHaveTextAsync("3 of 3 operations shown");
        await Expect(page.Locator("#rows .row .exc")).ToHaveTextAsync("✖ TimeoutException");

        await page.ClickAsync("#collapse-all");
        await Expect(shown).ToHaveTextAsync("1 of 3 operations shown");
        await Expect(page.Locator("#rows .row")).ToHaveCountAsync(1);
        await page.ClickAsync("#rows .row .toggle");
        await Expect(shown).ToHaveTextAsync("3 of 3 operations shown");
        await page.ClickAsync("#collapse-all");
        await page.ClickAsync("#expand-all");
        await Expect(page.Locator("#rows .row .op")).ToHaveTextAsync(["wsgi", "db", "db"]);

        await page.FillAsync("#filter", "^db$");
        await Expect(shown).ToHaveTextAsync("2 matching operations · 3 rows");
        await Expect(page.Locator("#rows .row.context .op")).ToHaveTextAsync("wsgi");
        await page.FillAsync("#filter", "(");
        await Expect(page.Locator("#filter-error")).ToContainTextAsync("Not a regular expression");
        await page.FillAsync("#filter", "nothing-matches-this");
        await Expect(shown).ToHaveTextAsync("0 matching operations · 0 rows");
        await page.FillAsync("#filter", "");
        await Expect(shown).ToHaveTextAsync("3 of 3 operations shown");

        await page.Locator("#rows .row").Nth(1).Locator(".raw-btn").ClickAsync();
        await Expect(page.Locator("#raw-panel")).ToBeVisibleAsync();
        await Expect(page.Locator("#raw")).ToContainTextAsync("\"db-start\"");
        await Expect(page.Locator("#raw")).ToContainTextAsync("SELECT 1");
        await Expect(page.Locator("#raw")).ToContainTextAsync("\"db-stop\"");
        await Expect(page.Locator("#rows .row.selected")).ToHaveCountAsync(1);
        await ScreenshotAsync(page, "trace-report.png");
        await page.ClickAsync("#raw-close");
        await Expect(page.Locator("#raw-panel")).ToBeHiddenAsync();

        await Expect(page.Locator("#stats tbody tr")).ToHaveCountAsync(2);
    }

    [Fact]
    public async Task A_trace_of_10000_operations_loads_expands_and_filters_drawing_only_the_rows_in_view()
    {
        var page = await fixture.NewPageAsync();
        var total = BrowserFixture.LargeOperations;
        var shown = page.Locator("#shown");

        var clock = Stopwatch.StartNew();
        await page.GotoAsync(Url + "traces/large-trace");
        await ReadyAsync(page);
        var load = clock.Elapsed;

        clock.Restart();
        await page.ClickAsync("#expand-all");
        await Expect(shown).ToHaveTextAsync($"{total} of {total} operations shown");
        var expand = clock.Elapsed;

        clock.Restart();
        await page.FillAsync("#filter", "cache");
        await Expect(shown).ToHaveTextAsync("990 matching operations · 1090 rows");
        var filter = clock.Elapsed;

        clock.Restart();
        await page.FillAsync("#filter", "");
        await Expect(shown).ToHaveTextAsync($"{total} of {total} operations shown");
        await page.Locator("#viewport").EvaluateAsync("v => v.scrollTop = v.scrollHeight");
        await Expect(page.Locator("#rows .row").Last).ToHaveAttributeAsync("data-trace-id", "large-trace-m98-l99");
        await page.ClickAsync("#collapse-all");
        await Expect(shown).ToHaveTextAsync($"1 of {total} operations shown");
        var scrollAndCollapse = clock.Elapsed;

        // Timings are printed, not asserted: a busy machine may take any time (speed belongs to profiler bench).
        output.WriteLine($"10,000 operations: load {load.TotalMilliseconds:0} ms, expand all {expand.TotalMilliseconds:0} ms, " +
                         $"filter {filter.TotalMilliseconds:0} ms (includes the 150 ms input debounce), scroll + collapse {scrollAndCollapse.TotalMilliseconds:0} ms");
        // The DOM holds only the rows in view, whatever the trace size.
        Assert.True(await page.Locator("#rows .row").CountAsync() < 100);
        await page.ClickAsync("#expand-all");
        await ScreenshotAsync(page, "trace-report-10000.png");
    }

    [Fact]
    public async Task Trace_data_never_becomes_markup()
    {
        var page = await fixture.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += (_, d) => { dialogs.Add(d.Message); _ = d.DismissAsync(); };

        await page.GotoAsync(Url + "traces/xss-trace");
        await ReadyAsync(page);
        await Expect(page.Locator("#rows .row .op")).ToHaveTextAsync(BrowserFixture.XssName);
        await Expect(page.Locator("#rows .row .where")).ToHaveTextAsync("<script>alert(2)</script>/api @ <b>host</b>");
        await Expect(page.Locator("#rows .row .exc")).ToHaveTextAsync("✖ " + BrowserFixture.XssError);
        await Expect(page.Locator("#stats tbody td").First).ToHaveTextAsync(BrowserFixture.XssName);
        await page.ClickAsync("#rows .row .raw-btn");
        await Expect(page.Locator("#raw")).ToContainTextAsync("</script><script>alert(4)</script>");
        await page.FillAsync("#filter", "<img");
        await Expect(page.Locator("#shown")).ToHaveTextAsync("1 matching operation · 1 row");
        await ScreenshotAsync(page, "trace-report-hostile.png");
        Assert.Equal(0, await page.Locator("img, b, iframe").CountAsync());
        // The report and analysis data elements, the report script and the web shell's actions script: nothing the trace data added.
        Assert.Equal(4, await page.Locator("script").CountAsync());

        await page.GotoAsync(Url);
        await Expect(page.Locator("#traces tbody tr").Filter(new() { HasText = "xss-trace" }).Locator(".error-marker"))
            .ToHaveTextAsync("✖ " + BrowserFixture.XssError);
        Assert.Equal(0, await page.Locator("img, b, script").CountAsync());

        await page.WaitForTimeoutAsync(300);
        Assert.Empty(dialogs);
    }
}
