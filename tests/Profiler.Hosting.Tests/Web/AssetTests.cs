using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Profiler.Domain.Reports;
using Profiler.Hosting.Rendering;
using Profiler.Testing;

namespace Profiler.Hosting.Tests.Web;

/// <summary>
/// The pages' HTML, CSS and script are the files under Rendering/Assets, embedded and inlined: the same in
/// <c>trace show --html</c> and the web shell, self-contained, with nothing left of the templates' slots.
/// </summary>
public sealed partial class AssetTests
{
    private static readonly string AssetFolder = Path.Combine(Fixtures.RepositoryRoot, "Host", "Profiler.Hosting", "Rendering", "Assets");

    private static TraceReport SmallReport()
    {
        var builder = new ReportBuilder();
        foreach (var p in Traces.Request("assets", Traces.Start, failing: true))
            builder.Add(Profiler.Domain.StoredPoint.FromDocument(Encoding.UTF8.GetString(Profiler.Domain.TracePointJson.ToUtf8(p))));
        return builder.Build();
    }

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ExecutableScript();

    [Theory]
    [InlineData("page.html")]
    [InlineData("report.html")]
    [InlineData("base.css")]
    [InlineData("report.css")]
    [InlineData("list.css")]
    [InlineData("report.js")]
    [InlineData("actions.html")]
    [InlineData("actions.js")]
    public void Each_embedded_asset_is_the_file_in_the_repository(string name) =>
        Assert.Equal(File.ReadAllText(Path.Combine(AssetFolder, name)), PageAssets.Read(name));

    [Fact]
    public void The_report_page_inlines_its_styles_and_script_and_fills_every_slot()
    {
        var html = HtmlReportRenderer.Render(SmallReport(), "assets<&>", listUrl: "../");

        Assert.Contains(PageAssets.Read("base.css"), html);
        Assert.Contains(PageAssets.Read("report.css"), html);
        Assert.Contains(PageAssets.Read("report.js"), html);
        Assert.DoesNotContain("{{", html);
        Assert.Contains("<title>Trace assets&lt;&amp;&gt;</title>", html);
        Assert.Contains("<span id=\"base-id\">assets&lt;&amp;&gt;</span>", html);
        Assert.Contains("<a id=\"list-link\" href=\"../\">", html);
        Assert.DoesNotContain(" src=", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("https://", html);
    }

    [Fact]
    public void The_policy_hash_is_the_hash_of_the_one_executable_script_on_the_page()
    {
        var html = HtmlReportRenderer.Render(SmallReport(), "assets");

        var script = Assert.Single(ExecutableScript().Matches(html)).Groups[1].Value;
        Assert.Equal("'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script))) + "'", HtmlReportRenderer.ScriptHashSource);
    }

    [Fact]
    public void The_renderers_and_pages_hold_no_markup_styles_or_scripts_of_their_own()
    {
        var sources = Directory.GetFiles(Path.Combine(Fixtures.RepositoryRoot, "Host", "Profiler.Hosting", "Rendering"), "*.cs")
            .Concat(Directory.GetFiles(Path.Combine(Fixtures.RepositoryRoot, "Host", "Profiler.Hosting", "Web"), "*.cs"));

        foreach (var file in sources)
        {
            var code = File.ReadAllText(file);
            Assert.False(code.Contains("<style", StringComparison.Ordinal), $"{file} holds a <style> element");
            Assert.False(code.Contains("<!DOCTYPE", StringComparison.OrdinalIgnoreCase), $"{file} holds a page skeleton");
            Assert.False(code.Contains("function (", StringComparison.Ordinal), $"{file} holds script");
        }
    }

    [Fact]
    public async Task The_served_list_and_report_pages_use_the_same_shared_assets_as_trace_show()
    {
        await using var server = await ShellServer.StartAsync();
        using (await server.PostPointsAsync(Traces.Request("served", Traces.Start, failing: true))) { }

        var list = await server.Client.GetStringAsync("");
        var report = await server.Client.GetStringAsync("traces/served");

        Assert.Contains(PageAssets.Read("base.css"), list);
        Assert.Contains(PageAssets.Read("list.css"), list);
        Assert.DoesNotContain("{{", list);
        Assert.Contains("<title>Traces · Profiler</title>", list);
        Assert.Contains(PageAssets.Read("base.css"), report);
        Assert.Contains(PageAssets.Read("report.js"), report);
        Assert.Contains("<a id=\"list-link\" href=\"../\">", report);
    }
}
