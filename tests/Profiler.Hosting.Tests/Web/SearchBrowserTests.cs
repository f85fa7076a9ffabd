using static Microsoft.Playwright.Assertions;

namespace Profiler.Hosting.Tests.Web;

/// <summary>The list page's search form and scatter plot in a real browser (docs/search.md).</summary>
public sealed class SearchBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private string Url => fixture.Server.Url;

    [Fact]
    public async Task The_search_form_makes_a_shareable_url_and_a_scatter_dot_opens_its_trace()
    {
        var page = await fixture.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);
        await page.GotoAsync(Url);
        await Expect(page.Locator("#scatter a.dot-link")).ToHaveCountAsync(5);

        await page.FillAsync("#search-service", "svc-3");
        await page.ClickAsync("#search-button");

        var rows = page.Locator("#traces tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.Locator("a.trace-link")).ToHaveTextAsync("large-trace");
        await Expect(rows.Locator("td.services")).ToContainTextAsync("svc-3");
        await Expect(page.Locator("#total")).ToHaveTextAsync("1 trace matches");
        Assert.Contains("service=svc-3", page.Url);
        await Expect(page.Locator("#search-service")).ToHaveValueAsync("svc-3");

        // The URL is the search: opened afresh, it shows the same.
        var shared = await fixture.NewPageAsync();
        await shared.GotoAsync(page.Url);
        await Expect(shared.Locator("#traces tbody tr")).ToHaveCountAsync(1);

        await page.ClickAsync("#scatter a.dot-link[data-base-id='large-trace']");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.EndsWith("/traces/large-trace", page.Url);
        Assert.All(requests.Where(r => !r.EndsWith("/favicon.ico", StringComparison.Ordinal)), r => Assert.StartsWith(Url, r));
    }

    [Fact]
    public async Task Failed_traces_are_marked_in_the_plot_and_the_form_combines_fields()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(Url);

        await page.FillAsync("#search-name", "db");
        await page.CheckAsync("#search-errors");
        await page.FillAsync("#search-min-duration-ms", "5");
        await page.ClickAsync("#search-button");

        var rows = page.Locator("#traces tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.Locator(".error-marker")).ToHaveTextAsync("✖ TimeoutException");
        await Expect(page.Locator("#scatter a.dot-link[data-base-id='demo-failed'] .dot.failed")).ToHaveCountAsync(1);
        Assert.Contains("errors=true", page.Url);
        Assert.Contains("min_duration_ms=5", page.Url);

        await page.ClickAsync("#clear-search");
        await Expect(rows).ToHaveCountAsync(5);
    }
}
