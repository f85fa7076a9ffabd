using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Profiler.Domain;

namespace Profiler.Hosting.Tests.Web;

/// <summary>
/// One web shell with a few real traces (ok, failed, hostile names, 10,000 operations) and Debian's Chromium driven
/// by Playwright. Chromium is never downloaded: a missing /usr/bin/chromium fails every browser test.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const int LargeOperations = 10_000;
    public const string XssName = "<img src=x onerror=alert(1)>";
    public const string XssError = "<img src=x onerror=alert(3)>";

    private static readonly string[] LaunchArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;

    public ShellServer Server { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotFolder => Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} not found: install Debian's chromium (apt-get install chromium)");
        Server = await ShellServer.StartAsync(pageSize: 5);
        var points = new List<TracePoint>();
        var at = Traces.Start;
        for (var i = 0; i < 4; i++) points.AddRange(Traces.Request($"older-{i}", at.AddMinutes(i)));
        points.AddRange(Traces.Request("demo-ok", at.AddMinutes(10)));
        points.AddRange(Traces.Request("demo-failed", at.AddMinutes(11), failing: true));
        points.AddRange(Hostile("xss-trace", at.AddMinutes(12)));
        await PostAsync(points);
        await PostAsync(Traces.Large("large-trace", at.AddMinutes(13), LargeOperations));

        // Assertions retry until they hold; give them room on a busy 2-core CI machine (Playwright's default is 5 s).
        Assertions.SetDefaultExpectTimeout(60_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath, Headless = true, Args = LaunchArgs, Timeout = 60_000,
        });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    private async Task PostAsync(IEnumerable<TracePoint> points)
    {
        using var response = await Server.PostPointsAsync(points);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A failed operation whose name, project, host and error type are markup.</summary>
    private static List<TracePoint> Hostile(string baseId, DateTime at)
    {
        var info = new JsonObject { ["host"] = "<b>host</b>" };
        return
        [
            Traces.Point(baseId, "x1", baseId, XssName + "-start", at, info, project: "<script>alert(2)</script>"),
            Traces.Point(baseId, "x1", baseId, XssName + "-stop", at.AddMilliseconds(3),
                new JsonObject { ["host"] = "<b>host</b>", ["etype"] = XssError, ["message"] = "</script><script>alert(4)</script>" },
                project: "<script>alert(2)</script>"),
        ];
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        // Navigation and clicks (a 10,000-operation report loads in seconds on a quiet machine) wait as long as assertions
        // may, on a busy 2-core machine: the timeout only turns a page that never comes into a failure.
        page.SetDefaultTimeout(120_000);
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
    }
}
