using System.Text.Json.Nodes;
using Profiler.Domain.Reports;

namespace Profiler.Domain.Tests;

public sealed class ReportBuilderTests
{
    private static readonly DateTime T0 = new(2026, 11, 25, 1, 0, 0, DateTimeKind.Utc);

    private static StoredPoint Point(string name, string traceId, string parentId, double ms, string? etype = null)
    {
        var info = new JsonObject { ["host"] = "h" };
        if (etype is not null) info["etype"] = etype;
        var doc = new JsonObject
        {
            ["name"] = name, ["base_id"] = "b", ["trace_id"] = traceId, ["parent_id"] = parentId,
            ["timestamp"] = TraceTimestamp.FromDateTime(T0.AddMilliseconds(ms)).ToString(), ["info"] = info,
            ["project"] = "p", ["service"] = "s",
        };
        return StoredPoint.FromDocument(doc.ToJsonString());
    }

    private static TraceReport Build(params StoredPoint[] points)
    {
        var builder = new ReportBuilder();
        foreach (var p in points) builder.Add(p);
        return builder.Build();
    }

    [Fact]
    public void A_name_with_dashes_keeps_everything_before_the_suffix_unlike_OSProfiler()
    {
        var report = Build(Point("image-upload-start", "t1", "b", 0), Point("image-upload-stop", "t1", "b", 3));

        Assert.Equal("image-upload", report.Children[0].Name);
        Assert.Equal("image-upload", report.Stats[0].Key);
    }

    [Fact]
    public void Times_are_whole_milliseconds_truncated_from_the_earliest_point()
    {
        var report = Build(Point("a-start", "t1", "b", 0.9), Point("a-stop", "t1", "b", 2.95), Point("c-start", "t2", "t1", 1.999));

        var a = report.Children.Single();
        Assert.Equal((0L, 2L), (a.Started, a.Finished));
        Assert.Equal((1L, 1L), (a.Children[0].Started, a.Children[0].Finished));
        Assert.Equal(2, report.Finished);
        Assert.Equal(1, report.LastTraceStarted);
    }

    [Fact]
    public void A_node_without_a_stop_has_no_exception_and_one_without_a_start_starts_when_it_finished()
    {
        var report = Build(Point("open-start", "t1", "b", 0), Point("late-stop", "t2", "b", 5, etype: "KeyError"));

        var open = report.Children.Single(n => n.Name == "open");
        var late = report.Children.Single(n => n.Name == "late");
        Assert.Null(open.Exception);
        Assert.Equal(open.Started, open.Finished);
        Assert.Equal("KeyError", late.Exception);
        Assert.Equal((5L, 5L), (late.Started, late.Finished));
    }

    [Fact]
    public void Children_are_ordered_by_start_time_and_orphans_become_top_level()
    {
        var report = Build(
            Point("late-start", "t3", "root", 9), Point("root-start", "root", "b", 0),
            Point("early-start", "t2", "root", 4), Point("orphan-start", "t4", "missing-parent", 2));

        Assert.Equal(["root", "orphan"], report.Children.Select(n => n.Name));
        Assert.Equal(["early", "late"], report.Children[0].Children.Select(n => n.Name));
    }

    [Fact]
    public void Nodes_whose_parents_form_a_cycle_are_kept_at_the_top_level_instead_of_lost()
    {
        var report = Build(Point("a-start", "ta", "tb", 0), Point("b-start", "tb", "ta", 1), Point("self-start", "ts", "ts", 2));

        var all = new List<ReportNode>();
        void Walk(IEnumerable<ReportNode> nodes) { foreach (var n in nodes) { all.Add(n); Walk(n.Children); } }
        Walk(report.Children);
        Assert.Equal(["a", "b", "self"], all.Select(n => n.Name).Order());
    }

    [Fact]
    public void Stats_count_nodes_and_sum_their_durations_per_operation()
    {
        var report = Build(
            Point("db-start", "t1", "b", 0), Point("db-stop", "t1", "b", 3),
            Point("db-start", "t2", "b", 4), Point("db-stop", "t2", "b", 10.5),
            Point("rpc-start", "t3", "b", 1));

        Assert.Equal(new OperationStats(2, 9), report.Stats.Single(s => s.Key == "db").Value);
        Assert.Equal(new OperationStats(1, 0), report.Stats.Single(s => s.Key == "rpc").Value);
    }

    [Fact]
    public void Unreadable_points_are_counted_and_the_rest_still_reports()
    {
        var report = Build(Point("a-start", "t1", "b", 0), StoredPoint.FromDocument("{not json"),
            StoredPoint.FromDocument("{\"name\": \"x-start\"}"), Point("a-stop", "t1", "b", 1));

        Assert.Equal(2, report.SkippedPoints);
        Assert.Equal(2, report.PointCount);
        Assert.Contains("\"skipped_points\": 2", ReportJson.ToJson(report));
    }

    [Fact]
    public void An_empty_trace_has_null_totals()
    {
        var report = new ReportBuilder().Build();

        Assert.Null(report.Finished);
        Assert.Null(report.LastTraceStarted);
        Assert.Empty(report.Children);
    }

    [Fact]
    public void A_trace_nested_ten_thousand_deep_renders_and_reads_back()
    {
        var points = new List<StoredPoint>();
        for (var i = 0; i < 10_000; i++) points.Add(Point("deep-start", $"t{i}", i == 0 ? "b" : $"t{i - 1}", i * 0.01));
        var report = Build([.. points]);

        var json = ReportJson.ToJson(report, indented: false);
        var reread = ReportJson.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));

        var depth = 0;
        for (var n = reread.Children.Single(); n.Children.Count > 0; n = n.Children.Single()) depth++;
        Assert.Equal(9_999, depth);
    }
}
