using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class CliEndToEndTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new();

    private string Sqlite => $"sqlite:///{_work.Path}/traces.db";

    public void Dispose() => _work.Dispose();

    [Theory]
    [InlineData("Profiler.Infrastructure.Sql")]
    [InlineData("Profiler.Infrastructure.Redis")]
    public void The_published_layout_holds_the_executable_and_each_plugin_without_the_hosts_contract(string name)
    {
        var plugin = Path.Combine(cli.Directory, "plugins", name);

        Assert.True(File.Exists(Path.Combine(plugin, name + ".dll")));
        Assert.False(File.Exists(Path.Combine(plugin, "Profiler.Application.dll")));
        Assert.False(File.Exists(Path.Combine(plugin, "Profiler.Domain.dll")));
        var drivers = cli.Run(_work.Path, "drivers");
        Assert.Equal(0, drivers.ExitCode);
        Assert.Contains("sqlite", drivers.StandardOutput);
    }

    public static TheoryData<string> RedisShapes() => new(Fixtures.All().Where(f => f.Backend == "redis").Select(f => f.Shape));

    [Theory]
    [MemberData(nameof(RedisShapes))]
    public void An_imported_OSProfiler_trace_shows_as_OSProfilers_own_report(string shape)
    {
        var import = cli.Run(_work.Path, "trace", "import", Fixtures.PointsFile(shape, "redis"), "--connection-string", Sqlite);
        Assert.True(import.ExitCode == 0, import.All);

        var baseId = FixtureTrace.Load(shape, "redis").BaseId;
        var show = cli.Run(_work.Path, "trace", "show", baseId, "--json", "--connection-string", Sqlite);

        Assert.True(show.ExitCode == 0, show.All);
        // SQL stores keep OSProfiler's SQL payload ({"info": …}); everything else must equal the Redis report.
        ReportAssert.Equivalent(FixtureTrace.Report(shape, "redis"), JsonNode.Parse(show.StandardOutput)!, payloadInfoOnly: true);
    }

    [Fact]
    public void The_demo_records_a_trace_that_lists_and_shows_in_every_format()
    {
        var demo = cli.Run(_work.Path, "demo", "-c", Sqlite);
        Assert.True(demo.ExitCode == 0, demo.All);
        Assert.Contains("cache", demo.StandardOutput);

        var list = cli.Run(_work.Path, "trace", "list", "--json", "-c", Sqlite);
        var baseId = (string)JsonNode.Parse(list.StandardOutput)!["traces"]![0]!["base_id"]!;
        var json = JsonNode.Parse(cli.Run(_work.Path, "trace", "show", baseId, "--json", "-c", Sqlite).StandardOutput)!;
        Assert.Equal(3, (int)json["stats"]!["db"]!["count"]!);
        Assert.Equal("System.TimeoutException", (string)json["children"]![0]!["children"]![4]!["children"]![1]!["info"]!["exception"]!);

        var htmlFile = Path.Combine(_work.Path, "trace.html");
        Assert.Equal(0, cli.Run(_work.Path, "trace", "show", baseId, "--html", "--out", htmlFile, "-c", Sqlite).ExitCode);
        var html = File.ReadAllText(htmlFile);
        Assert.Contains("render-page", html);
        Assert.DoesNotContain("src=\"http", html);
        Assert.DoesNotContain("href=\"http", html);

        var dot = cli.Run(_work.Path, "trace", "show", baseId, "--dot", "-c", Sqlite);
        Assert.StartsWith("digraph", dot.StandardOutput);
        Assert.Contains("-> ", dot.StandardOutput);

        var errors = cli.Run(_work.Path, "trace", "list", "--error-trace", "-c", Sqlite);
        Assert.Contains(baseId, errors.StandardOutput);
    }

    [Fact]
    public void Bench_ingest_times_only_the_points_after_its_warm_up_and_cleans_up_both()
    {
        var bench = cli.Run(_work.Path, "bench", "ingest", "-c", Sqlite, "--points", "3000", "--traces", "10",
            "--warmup", "1000", "--concurrency", "2", "--batch-size", "100", "--json", "--cleanup");

        Assert.True(bench.ExitCode == 0, bench.All);
        var figures = JsonNode.Parse(bench.StandardOutput)!;
        Assert.Equal(3000, (long)figures["points"]!);
        Assert.Equal(1000, (int)figures["warmup_points"]!);
        Assert.True((double)figures["points_per_second"]! > 0);
        // Ten timed traces and ten warm-up traces: all of them deleted, nothing of the run left.
        Assert.Equal(20, (int)figures["cleanup"]!["deleted_traces"]!);
        var list = cli.Run(_work.Path, "trace", "list", "--json", "-c", Sqlite);
        Assert.Empty(JsonNode.Parse(list.StandardOutput)!["traces"]!.AsArray());
    }

    [Fact]
    public void Bench_refuses_a_negative_warm_up_naming_the_option()
    {
        var bench = cli.Run(_work.Path, "bench", "ingest", "-c", Sqlite, "--warmup", "-5");

        Assert.Equal(2, bench.ExitCode);
        Assert.Contains("--warmup -5", bench.StandardError);
    }

    [Fact]
    public void A_report_file_can_be_shown_again_in_another_format()
    {
        var report = Path.Combine(_work.Path, "report.json");
        File.Copy(Fixtures.ReportFile("simple", "redis"), report);

        var html = cli.Run(_work.Path, "trace", "show", report, "--html");

        Assert.Equal(0, html.ExitCode);
        Assert.Contains("<!DOCTYPE html>", html.StandardOutput);
    }

    [Fact]
    public void The_default_store_is_a_SQLite_file_in_the_users_data_folder()
    {
        var import = cli.Run(_work.Path, "trace", "import", Fixtures.PointsFile("simple", "redis"));

        Assert.True(import.ExitCode == 0, import.All);
        Assert.Contains("profiler.db", import.StandardOutput);
        Assert.True(File.Exists(Path.Combine(_work.Path, ".data", "profiler", "profiler.db")));
    }

    [Fact]
    public void OSPROFILER_CONNECTION_STRING_chooses_the_store()
    {
        var env = new Dictionary<string, string> { ["OSPROFILER_CONNECTION_STRING"] = Sqlite };
        Assert.Equal(0, cli.Run(_work.Path, env, "trace", "import", Fixtures.PointsFile("simple", "redis")).ExitCode);

        var list = cli.Run(_work.Path, env, "trace", "list");

        Assert.Contains(FixtureTrace.Load("simple", "redis").BaseId, list.StandardOutput);
    }

    [Fact]
    public void A_file_with_a_bad_line_names_the_line_and_imports_nothing()
    {
        var lines = File.ReadAllLines(Fixtures.PointsFile("simple", "redis")).ToList();
        lines[3] = lines[3].Replace("\"db-stop\"", "\"db-finish\"").Replace("\"rpc-start\"", "\"rpc-begin\"");
        lines.Insert(6, "{\"name\": \"truncated");
        var file = Path.Combine(_work.Path, "bad.jsonl");
        File.WriteAllLines(file, lines);

        var import = cli.Run(_work.Path, "trace", "import", file, "-c", Sqlite);

        Assert.Equal(2, import.ExitCode);
        Assert.Contains("bad.jsonl:4:", import.StandardError);
        Assert.Contains("bad.jsonl:7: not valid JSON", import.StandardError);
        Assert.Contains("nothing was imported", import.StandardError);
        Assert.DoesNotContain("   at ", import.StandardError);
        var show = cli.Run(_work.Path, "trace", "show", FixtureTrace.Load("simple", "redis").BaseId, "-c", Sqlite);
        Assert.Equal(1, show.ExitCode);
    }

    [Fact]
    public void An_unknown_trace_exits_1_naming_the_id()
    {
        var show = cli.Run(_work.Path, "trace", "show", "0b1c2d3e-0000-4000-8000-000000000000", "-c", Sqlite);

        Assert.Equal(1, show.ExitCode);
        Assert.Contains("0b1c2d3e-0000-4000-8000-000000000000", show.StandardError);
        Assert.Contains("not found", show.StandardError);
    }

    [Fact]
    public void An_unknown_scheme_lists_the_known_schemes_and_the_folders_searched_without_the_password()
    {
        var list = cli.Run(_work.Path, "trace", "list", "-c", "nosuch://admin:hunter2@127.0.0.1/db");

        Assert.NotEqual(0, list.ExitCode);
        Assert.Contains("nosuch", list.StandardError);
        Assert.Contains("sqlite", list.StandardError);
        Assert.Contains(Path.Combine(cli.Directory, "plugins"), list.StandardError);
        Assert.DoesNotContain("hunter2", list.All);
    }

    [Fact]
    public void A_malformed_connection_string_is_one_line_saying_what_is_expected()
    {
        var list = cli.Run(_work.Path, "trace", "list", "-c", "redis://:hunter2@127.0.0.1:notaport/0");

        Assert.Equal(2, list.ExitCode);
        Assert.Contains("port 'notaport'", list.StandardError);
        Assert.Contains("scheme://", list.StandardError);
        Assert.DoesNotContain("hunter2", list.All);
        Assert.Single(list.StandardError.Trim().Split('\n'));
    }
}

[Collection(CliCollection.Name)]
public sealed class CliMalformedInputTests(PublishedCli cli, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public void A_file_of_a_thousand_malformed_points_is_refused_line_by_line_and_stores_nothing()
    {
        var file = Path.Combine(_work.Path, "bad.jsonl");
        using (var stream = File.Create(file))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(File.ReadAllLines(Fixtures.PointsFile("simple", "redis"))[0] + "\n"));
            foreach (var bytes in MalformedInput.BadPoints(1000).Where(b => !b.Contains((byte)'\n')))
            {
                stream.Write(bytes);
                stream.WriteByte((byte)'\n');
            }
        }
        var store = $"sqlite:///{_work.Path}/t.db";

        var import = cli.Run(_work.Path, "trace", "import", file, "-c", store);

        output.WriteLine($"trace import: 1000 malformed lines, exit {import.ExitCode}");
        Assert.Equal(2, import.ExitCode);
        Assert.Contains("bad.jsonl:2:", import.StandardError);
        Assert.Contains("nothing was imported", import.StandardError);
        Assert.DoesNotContain("   at ", import.All);
        Assert.Equal(1, cli.Run(_work.Path, "trace", "show", FixtureTrace.Load("simple", "redis").BaseId, "-c", store).ExitCode);
    }

    [Fact]
    public void Malformed_connection_strings_exit_2_with_one_line_and_no_password()
    {
        var cases = MalformedInput.ConnectionStrings(400, seed: 7)
            .Where(c => !c.Contains('\0') && c.Length < 10_000 && !ConnectionStringParses(c)).Take(60).ToList();
        foreach (var text in cases)
        {
            var result = cli.Run(_work.Path, "trace", "list", "-c", text);
            Assert.True(result.ExitCode == 2, $"{text}: exit {result.ExitCode}: {result.All}");
            Assert.Single(result.StandardError.TrimEnd().Split('\n'));
            if (text.LastIndexOf('@') > text.IndexOf(MalformedInput.Secret, StringComparison.Ordinal) && text.Contains(":" + MalformedInput.Secret))
                Assert.DoesNotContain(MalformedInput.Secret, result.All);
        }
        output.WriteLine($"CLI connection strings: {cases.Count} malformed cases tried, all exit 2 with one line");
        Assert.True(cases.Count >= 50);
    }

    private static bool ConnectionStringParses(string text) => Profiler.Domain.ConnectionString.TryParse(text, out _, out _);
}
