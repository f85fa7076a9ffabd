using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary><c>profiler trace analyze</c> and <c>trace diff</c> on constructed traces, OSProfiler's fixtures and a live OSProfiler trace.</summary>
[Collection(CliCollection.Name)]
public sealed class AnalysisCliTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new();

    private string Sqlite => $"sqlite:///{_work.Path}/traces.db";

    public void Dispose() => _work.Dispose();

    private void Import(ConstructedTrace trace)
    {
        var file = Path.Combine(_work.Path, trace.BaseId + ".jsonl");
        File.WriteAllText(file, trace.JsonLines());
        var import = cli.Run(_work.Path, "trace", "import", file, "-c", Sqlite);
        Assert.True(import.ExitCode == 0, import.All);
    }

    private JsonNode Json(params string[] args)
    {
        var run = cli.Run(_work.Path, [.. args, "--json", "-c", Sqlite]);
        Assert.True(run.ExitCode == 0, run.All);
        return JsonNode.Parse(run.StandardOutput)!;
    }

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => (string)n!).ToArray();

    /// <summary>A request whose rpc waits on a loop of six lookups (an N+1) and whose first cache call overlaps the rpc.</summary>
    private static ConstructedTrace Slow(string baseId)
    {
        var trace = new ConstructedTrace(baseId)
            .Op("wsgi", null, "wsgi", 0, 100)
            .Op("auth", "wsgi", "auth", 0, 10)
            .Op("rpc", "wsgi", "rpc", 10, 95)
            .Op("cache", "wsgi", "cache", 20, 40);
        for (var i = 0; i < 6; i++) trace.Op($"db{i}", "rpc", "db", 15 + i * 10, 25 + i * 10, $"SELECT * FROM instances WHERE uuid = 'i-{i}'");
        return trace;
    }

    private static ConstructedTrace Fast(string baseId) => new ConstructedTrace(baseId)
        .Op("wsgi", null, "wsgi", 0, 30)
        .Op("auth", "wsgi", "auth", 0, 10)
        .Op("rpc", "wsgi", "rpc", 10, 28)
        .Op("db0", "rpc", "db", 12, 22, "SELECT * FROM instances WHERE uuid IN ('i-0', 'i-1', 'i-2')")
        .Op("q", "wsgi", "queue", 28, 30);

    [Fact]
    public void Analyze_json_gives_the_critical_path_self_times_repeated_statements_and_slowest_operations()
    {
        Import(Slow("slow-1"));

        var json = Json("trace", "analyze", "slow-1");

        // cache (20–40) ran alongside the rpc (10–95), which ended last: cache is off the path.
        Assert.Equal(["wsgi", "auth", "rpc", "db0", "db1", "db2", "db3", "db4", "db5"], Strings(json["critical_path"]));
        Assert.Equal(5, (long)json["self_ms"]!["wsgi"]!);
        Assert.Equal(25, (long)json["self_ms"]!["rpc"]!);
        Assert.Equal(60, (long)json["self_ms"]!["db"]!);
        Assert.Equal(60, (long)json["stats"]!["db"]!["total_ms"]!);
        var repeated = Assert.Single(json["repeated_statements"]!.AsArray())!;
        Assert.Equal("SELECT * FROM instances WHERE uuid = ?", (string)repeated["statement"]!);
        Assert.Equal(6, (int)repeated["count"]!);
        Assert.Equal("rpc", (string)repeated["parent"]!);
        Assert.Equal(60, (long)repeated["total_ms"]!);
        var slowest = json["slowest"]!.AsArray();
        Assert.Equal(10, slowest.Count);
        Assert.Equal(("rpc", "rpc", 25L, 85L), ((string)slowest[0]!["trace_id"]!, (string)slowest[0]!["name"]!,
            (long)slowest[0]!["self_ms"]!, (long)slowest[0]!["total_ms"]!));
    }

    [Fact]
    public void Diff_json_compares_per_name_lists_names_in_only_one_and_both_critical_paths()
    {
        Import(Slow("slow-2"));
        Import(Fast("fast-2"));

        var json = Json("trace", "diff", "slow-2", "fast-2");

        var db = json["by_name"]!["db"]!;
        Assert.Equal((6, 1, 60L, 10L, 60L, 10L), ((int)db["count_a"]!, (int)db["count_b"]!, (long)db["total_ms_a"]!,
            (long)db["total_ms_b"]!, (long)db["self_ms_a"]!, (long)db["self_ms_b"]!));
        Assert.Equal((0, 1), ((int)json["by_name"]!["queue"]!["count_a"]!, (int)json["by_name"]!["queue"]!["count_b"]!));
        Assert.Equal(["queue"], Strings(json["added"]));
        Assert.Equal(["cache"], Strings(json["removed"]));
        Assert.Equal(["wsgi", "auth", "rpc", "db0", "db1", "db2", "db3", "db4", "db5"], Strings(json["critical_path"]!["a"]));
        Assert.Equal(["wsgi", "auth", "rpc", "db0", "q"], Strings(json["critical_path"]!["b"]));
        Assert.Equal("q", (string)json["critical_path_b"]![4]!["trace_id"]!);
    }

    [Fact]
    public void The_text_forms_are_for_people_and_a_missing_trace_is_exit_code_1_naming_it()
    {
        Import(Slow("slow-3"));
        Import(Fast("fast-3"));

        var analyze = cli.Run(_work.Path, "trace", "analyze", "slow-3", "-c", Sqlite);
        Assert.True(analyze.ExitCode == 0, analyze.All);
        Assert.Contains("Critical path (9 operations", analyze.StandardOutput);
        Assert.Contains("6× under rpc rpc, 60 ms in all: SELECT * FROM instances WHERE uuid = ?", analyze.StandardOutput);

        var diff = cli.Run(_work.Path, "trace", "diff", "slow-3", "fast-3", "-c", Sqlite);
        Assert.True(diff.ExitCode == 0, diff.All);
        Assert.Contains("Only in b (added): queue", diff.StandardOutput);
        Assert.Contains("Only in a (removed): cache", diff.StandardOutput);

        var missing = cli.Run(_work.Path, "trace", "diff", "slow-3", "no-such-trace", "-c", Sqlite);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("'no-such-trace' not found", missing.StandardError);
        var bad = cli.Run(_work.Path, "trace", "analyze", "bad id!", "-c", Sqlite);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("bad id!", bad.StandardError);
    }

    public static TheoryData<string> RedisShapes() => new(Fixtures.All().Where(f => f.Backend == "redis").Select(f => f.Shape));

    [Theory]
    [MemberData(nameof(RedisShapes))]
    public void An_OSProfiler_trace_analyses_the_same_imported_or_as_OSProfilers_own_report_file(string shape)
    {
        var import = cli.Run(_work.Path, "trace", "import", Fixtures.PointsFile(shape, "redis"), "-c", Sqlite);
        Assert.True(import.ExitCode == 0, import.All);
        var baseId = Profiler.Storage.Testing.FixtureTrace.Load(shape, "redis").BaseId;

        var stored = Json("trace", "analyze", baseId);
        var fromReport = Json("trace", "analyze", Fixtures.ReportFile(shape, "redis"));

        Assert.NotEmpty(stored["critical_path"]!.AsArray());
        Assert.Equal(stored["critical_path"]!.ToJsonString(), fromReport["critical_path"]!.ToJsonString());
        Assert.Equal(stored["stats"]!.ToJsonString(), fromReport["stats"]!.ToJsonString());
    }

    /// <summary>
    /// OSProfiler's own profiler and SQLAlchemy tracepoints (Debian's python3-osprofiler and python3-sqlalchemy) record a
    /// request that looks instances up one by one; its notifier writes the points as JSON lines.
    /// </summary>
    private const string LiveScript = """
        import json, sys, time
        import sqlalchemy
        from osprofiler import notifier, profiler
        from osprofiler import sqlalchemy as os_sqlalchemy

        out = open(sys.argv[1], "w")
        def write(payload):
            payload.setdefault("info", {})["host"] = "node-1"
            payload["project"], payload["service"] = "nova", "api"
            out.write(json.dumps(payload) + "\n")
        notifier.set(write)
        profiler.init("SECRET_KEY", base_id=sys.argv[2])

        engine = sqlalchemy.create_engine("sqlite://")
        os_sqlalchemy.add_tracing(sqlalchemy, engine, "db")
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("CREATE TABLE instances (id INTEGER PRIMARY KEY, name TEXT)"))
            with profiler.Trace("wsgi", info={"request": {"path": "/servers"}}):
                for i in range(7):
                    conn.execute(sqlalchemy.text("SELECT name FROM instances WHERE id = %d" % i))
                with profiler.Trace("rpc", info={"function": {"name": "compute.boot"}}):
                    time.sleep(0.02)
        out.close()
        """;

    [Fact]
    public void A_trace_OSProfilers_SQLAlchemy_tracepoints_wrote_live_shows_its_N_plus_1_and_its_slow_rpc()
    {
        var python = ServerProcess.Require("python3", "python3-osprofiler", "/usr/bin");
        var script = Path.Combine(_work.Path, "live.py");
        File.WriteAllText(script, LiveScript);
        var points = Path.Combine(_work.Path, "live.jsonl");
        ServerProcess.Run("/usr/bin/python3", [script, points, "live-osprofiler"], timeout: TimeSpan.FromMinutes(1));
        Assert.True(File.Exists(points), $"{python} wrote no points");
        var import = cli.Run(_work.Path, "trace", "import", points, "-c", Sqlite);
        Assert.True(import.ExitCode == 0, import.All);

        var json = Json("trace", "analyze", "live-osprofiler");

        var repeated = Assert.Single(json["repeated_statements"]!.AsArray())!;
        Assert.Equal("SELECT name FROM instances WHERE id = ?", (string)repeated["statement"]!);
        Assert.Equal(7, (int)repeated["count"]!);
        Assert.InRange(json["critical_path"]!.AsArray().Count, 9, 20);
        Assert.Equal("rpc", (string)json["slowest"]![0]!["name"]!);
        Assert.InRange((long)json["self_ms"]!["rpc"]!, 20, long.MaxValue);
    }
}
