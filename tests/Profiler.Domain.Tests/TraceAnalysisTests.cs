using Profiler.Domain.Reports;
using Profiler.Testing;

namespace Profiler.Domain.Tests;

public sealed class TraceAnalysisTests
{
    private static TraceAnalysis Analyze(ConstructedTrace trace)
    {
        var builder = new ReportBuilder();
        foreach (var p in trace.StoredPoints()) builder.Add(p);
        return TraceAnalysis.Analyze(builder.Build());
    }

    private static TraceAnalysis AnalyzeFixture(string shape, string backend)
    {
        var builder = new ReportBuilder();
        foreach (var p in OsProfilerFixtureTests.StoredPoints(shape, backend)) builder.Add(p);
        return TraceAnalysis.Analyze(builder.Build());
    }

    private static string[] Path(TraceAnalysis a) => a.CriticalPath.Select(o => o.TraceId).ToArray();

    private static long Self(TraceAnalysis a, string traceId) => a.Operations.Single(o => o.TraceId == traceId).SelfMs;

    /// <summary>wsgi 0–100: db1 0–10, rpc 10–90 (db3 20–80 inside), db2 90–100, one after the other.</summary>
    internal static ConstructedTrace Sequential(string baseId = "seq") => new ConstructedTrace(baseId)
        .Op("wsgi", null, "wsgi", 0, 100)
        .Op("db1", "wsgi", "db", 0, 10)
        .Op("rpc", "wsgi", "rpc", 10, 90)
        .Op("db3", "rpc", "db", 20, 80)
        .Op("db2", "wsgi", "db", 90, 100);

    [Fact]
    public void Operations_run_one_after_another_are_all_on_the_critical_path_parents_first()
    {
        var a = Analyze(Sequential());

        Assert.Equal(["wsgi", "db1", "rpc", "db3", "db2"], Path(a));
        Assert.All(a.CriticalPath, o => Assert.True(o.OnCriticalPath));
    }

    [Fact]
    public void Self_time_is_the_time_no_child_covers()
    {
        var a = Analyze(Sequential());

        Assert.Equal(0, Self(a, "wsgi"));
        Assert.Equal(20, Self(a, "rpc"));
        Assert.Equal(60, Self(a, "db3"));
        var byName = a.ByName.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(new NameTimes(3, 80, 80), byName["db"]);
        Assert.Equal(new NameTimes(1, 80, 20), byName["rpc"]);
        Assert.Equal(new NameTimes(1, 100, 0), byName["wsgi"]);
    }

    [Fact]
    public void A_sibling_that_overlaps_the_chosen_one_is_off_the_path_and_overlapping_children_are_subtracted_once()
    {
        // B finishes last; A ran alongside B and finished earlier, so nothing waited for A; C ran before both.
        var a = Analyze(new ConstructedTrace("overlap")
            .Op("p", null, "wsgi", 0, 100)
            .Op("C", "p", "cache", 0, 8)
            .Op("A", "p", "rpc", 10, 90)
            .Op("B", "p", "rpc", 50, 95));

        Assert.Equal(["p", "C", "B"], Path(a));
        // Children cover [0, 8] and [10, 95]: 93 ms, however much A and B overlap.
        Assert.Equal(7, Self(a, "p"));
        Assert.Equal(80, Self(a, "A"));
    }

    [Fact]
    public void A_child_that_outlives_its_parent_counts_only_until_the_parent_ended()
    {
        // async starts at 40 and runs on after wsgi ends at 50; x ends at 45, while async was already running.
        var a = Analyze(new ConstructedTrace("outlive")
            .Op("wsgi", null, "wsgi", 0, 50)
            .Op("x", "wsgi", "db", 0, 45)
            .Op("async", "wsgi", "task", 40, 120));

        Assert.Equal(120, a.DurationMs);
        Assert.Equal(["wsgi", "async"], Path(a));
        Assert.Equal(0, Self(a, "wsgi"));
        Assert.Equal(80, Self(a, "async"));
    }

    [Fact]
    public void An_unfinished_operation_lasts_until_its_last_child_ended()
    {
        var a = Analyze(new ConstructedTrace("open")
            .Op("wsgi", null, "wsgi", 0, null)
            .Op("db", "wsgi", "db", 0, 20)
            .Op("rpc", "wsgi", "rpc", 25, null));

        var wsgi = a.Operations.Single(o => o.TraceId == "wsgi");
        Assert.False(wsgi.Finished);
        Assert.Equal((0L, 25L), (wsgi.Start, wsgi.End));
        Assert.Equal(5, wsgi.SelfMs);
        Assert.Equal(["wsgi", "db", "rpc"], Path(a));
    }

    [Fact]
    public void A_tree_35_levels_deep_has_every_level_on_the_path_and_two_ms_of_self_time_each()
    {
        var trace = new ConstructedTrace("deep35");
        for (var i = 0; i < 35; i++) trace.Op($"l{i}", i == 0 ? null : $"l{i - 1}", $"layer{i}", i, 70 - i);

        var a = Analyze(trace);

        Assert.Equal(Enumerable.Range(0, 35).Select(i => $"l{i}").ToArray(), Path(a));
        Assert.All(a.Operations, o => Assert.Equal(2, o.SelfMs));
        Assert.Equal(34, a.Operations[^1].Depth);
    }

    [Fact]
    public void A_chain_of_20000_operations_is_analysed_without_recursion()
    {
        var trace = new ConstructedTrace("chain");
        for (var i = 0; i < 20_000; i++) trace.Op($"c{i}", i == 0 ? null : $"c{i - 1}", "step", i, 40_000 - i);

        var a = Analyze(trace);

        Assert.Equal(20_000, a.CriticalPath.Count);
        Assert.Equal(2, a.Operations[0].SelfMs);
    }

    [Fact]
    public void A_statement_run_five_times_under_one_parent_is_reported_with_its_literals_as_question_marks()
    {
        var trace = new ConstructedTrace("n1").Op("api", null, "wsgi", 0, 200).Op("other", null, "wsgi", 200, 300);
        for (var i = 0; i < 6; i++) trace.Op($"q{i}", "api", "db", i * 10, i * 10 + 10, $"SELECT * FROM instances WHERE id = {i + 1}");
        for (var i = 0; i < 4; i++) trace.Op($"u{i}", "api", "db", 100 + i * 10, 105 + i * 10, $"SELECT name FROM users WHERE login = 'user{i}'");
        // Four under api and four under other: never five under one parent.
        for (var i = 0; i < 4; i++) trace.Op($"v{i}", "other", "db", 200 + i * 10, 205 + i * 10, $"SELECT name FROM users WHERE login = 'user{i}'");
        for (var i = 0; i < 5; i++)
            trace.Op($"w{i}", "other", "db", 250 + i * 5, 252 + i * 5, $"DELETE FROM t WHERE id IN ({string.Join(", ", Enumerable.Range(0, i + 1))})");

        var a = Analyze(trace);

        Assert.Collection(a.RepeatedStatements,
            r => Assert.Equal(("SELECT * FROM instances WHERE id = ?", 6, "api", 60L), (r.Statement, r.Count, r.ParentId, r.TotalMs)),
            r => Assert.Equal(("DELETE FROM t WHERE id IN (?)", 5, "other", 10L), (r.Statement, r.Count, r.ParentId, r.TotalMs)));
    }

    [Fact]
    public void Slowest_holds_the_ten_operations_with_the_most_self_time_most_first()
    {
        var trace = new ConstructedTrace("slow").Op("root", null, "wsgi", 0, 1000);
        for (var i = 0; i < 12; i++) trace.Op($"s{i}", "root", "db", i * 50, i * 50 + i + 1);

        var a = Analyze(trace);

        Assert.Equal(10, a.Slowest.Count);
        Assert.Equal("root", a.Slowest[0].TraceId);
        Assert.Equal(["s11", "s10", "s9"], a.Slowest.Skip(1).Take(3).Select(o => o.TraceId));
        Assert.Equal(1000 - Enumerable.Range(1, 12).Sum(), a.Slowest[0].SelfMs);
    }

    [Fact]
    public void Two_traces_compare_per_name_with_names_added_and_removed()
    {
        var b = new ConstructedTrace("seq2")
            .Op("wsgi", null, "wsgi", 0, 60)
            .Op("db1", "wsgi", "db", 0, 10)
            .Op("c1", "wsgi", "cache", 10, 15)
            .Op("db2", "wsgi", "db", 15, 60);

        var diff = TraceDiff.Compare(Analyze(Sequential()), Analyze(b));

        var byName = diff.ByName.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(new NameDiff(3, 2, 80, 55, 80, 55), byName["db"]);
        Assert.Equal(new NameDiff(1, 1, 100, 60, 0, 0), byName["wsgi"]);
        Assert.Equal(new NameDiff(0, 1, 0, 5, 0, 5), byName["cache"]);
        Assert.Equal(["cache"], diff.Added);
        Assert.Equal(["rpc"], diff.Removed);
        Assert.Equal(["wsgi", "db1", "c1", "db2"], Path(diff.B));
    }

    public static TheoryData<string, string> AllFixtures() => OsProfilerFixtureTests.AllFixtures();

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void In_every_OSProfiler_trace_the_self_times_add_up_to_the_time_some_operation_ran(string shape, string backend)
    {
        var a = AnalyzeFixture(shape, backend);

        // OSProfiler's operations nest inside their parents, so exclusive times tile the top-level intervals exactly.
        var covered = TraceAnalysis.UnionLength(a.Operations.Where(o => o.Parent is null).Select(o => (o.Start, o.End)).ToList());
        Assert.Equal(covered, a.Operations.Sum(o => o.SelfMs));
        Assert.All(a.Operations, o => Assert.InRange(o.SelfMs, 0, o.TotalMs));
        Assert.NotEmpty(a.CriticalPath);
        Assert.Equal(a.Operations[0], a.CriticalPath[0]);
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("mysql")]
    public void OSProfilers_simple_trace_waits_on_every_call_in_turn(string backend)
    {
        var a = AnalyzeFixture("simple", backend);

        // wsgi runs three db calls and an rpc one after the other (in the Redis run: 0–11 around 1–3, 3–6, 6–9, 9–10).
        Assert.Equal(["wsgi", "db", "db", "db", "rpc"], a.CriticalPath.Select(o => o.Name));
        var wsgi = a.Operations[0];
        Assert.Equal(wsgi.TotalMs - wsgi.Children.Sum(c => c.TotalMs), wsgi.SelfMs);
        var byName = a.ByName.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(byName["db"].TotalMs, byName["db"].SelfMs);
        Assert.Equal(3, byName["db"].Count);
        if (backend == "redis") Assert.Equal(new NameTimes(1, 11, 2), byName["wsgi"]);
        Assert.Empty(a.RepeatedStatements);
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("mysql")]
    public void OSProfilers_deep_trace_has_all_25_layers_on_the_path_and_its_unfinished_trace_runs_to_its_last_child(string backend)
    {
        Assert.Equal(25, AnalyzeFixture("deep", backend).CriticalPath.Count);

        var open = AnalyzeFixture("unfinished", backend);
        var wsgi = open.Operations[0];
        Assert.Equal(("wsgi", false), (wsgi.Name, wsgi.Finished));
        Assert.Equal(wsgi.Children.Max(c => c.End), wsgi.End);
        Assert.True(wsgi.End > wsgi.Node.Finished);
        Assert.Equal(["wsgi", "db", "rpc"], open.CriticalPath.Select(o => o.Name));
    }
}

public sealed class StatementOfTests
{
    [Theory]
    [InlineData("redis")]
    [InlineData("mysql")]
    public void The_statement_is_read_from_OSProfilers_SQLAlchemy_start_point_in_either_store(string backend)
    {
        var builder = new ReportBuilder();
        foreach (var p in OsProfilerFixtureTests.StoredPoints("simple", backend)) builder.Add(p);
        var report = builder.Build();

        var statements = report.Children[0].Children.Where(n => n.Name == "db").Select(TraceAnalysis.StatementOf).ToList();

        Assert.Equal(3, statements.Count);
        Assert.All(statements, s => Assert.Equal("SELECT * FROM instances WHERE id=%s", s));
        Assert.Null(TraceAnalysis.StatementOf(report.Children[0]));
    }
}
