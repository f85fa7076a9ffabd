using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Profiler.Domain.Reports;
using Profiler.Hosting.Rendering;
using Profiler.Testing;

namespace Profiler.Hosting.Tests.Web;

public sealed partial class AnalysisPageTests
{
    [GeneratedRegex("<script id=\"(report|analysis)-data\" type=\"application/json\">(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex DataElement();

    [Fact]
    public void The_pages_analysis_is_indexed_in_the_pre_order_the_script_flattens_the_report_in()
    {
        var builder = new ReportBuilder();
        // Stored out of order, so that the tree's order differs from the order the points arrived in.
        foreach (var p in AnalysisApiTests.NPlusOne("page").StoredPoints().Reverse()) builder.Add(p);
        var report = builder.Build();

        var html = HtmlReportRenderer.Render(report, "page");

        var data = DataElement().Matches(html).ToDictionary(m => m.Groups[1].Value, m => JsonNode.Parse(m.Groups[2].Value)!);
        var order = new List<JsonNode>();
        var stack = new Stack<JsonNode>(data["report"]["children"]!.AsArray().Reverse()!);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            order.Add(node);
            foreach (var c in node["children"]!.AsArray().Reverse()) stack.Push(c!);
        }
        var analysis = data["analysis"];
        var ids = order.Select(n => (string)n["trace_id"]!).ToList();
        Assert.Equal(["wsgi", "rpc", "db0", "db1", "db2", "db3", "db4", "render"],
            analysis["crit"]!.AsArray().Select(i => ids[(int)i!]));
        Assert.Equal(25, (long)analysis["self"]![ids.IndexOf("rpc")]!);
        Assert.Equal(ids.IndexOf("rpc"), (int)analysis["repeated"]![0]!["parent"]!);
        Assert.Equal("SELECT * FROM users WHERE id = ?", (string)analysis["repeated"]![0]!["statement"]!);
    }

    [Fact]
    public void Statements_in_the_page_data_cannot_close_its_script_element()
    {
        var trace = new ConstructedTrace("hostile").Op("w", null, "wsgi", 0, 100);
        for (var i = 0; i < 5; i++) trace.Op($"q{i}", "w", "db", i * 10, i * 10 + 5, $"SELECT '</script><script>alert({i})</script>' FROM t WHERE x < {i}");
        var builder = new ReportBuilder();
        foreach (var p in trace.StoredPoints()) builder.Add(p);

        var html = HtmlReportRenderer.Render(builder.Build(), "hostile");

        Assert.DoesNotContain("<script>alert", html);
        Assert.Contains("SELECT ? FROM t WHERE x \\u003c ?", html, StringComparison.OrdinalIgnoreCase);
    }
}
