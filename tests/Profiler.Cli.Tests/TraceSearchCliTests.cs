using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary><c>profiler trace list</c>'s search options, <c>--count</c>, <c>reindex</c> and <c>bench search</c> (docs/search.md).</summary>
[Collection(CliCollection.Name)]
public sealed class TraceSearchCliTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new();

    private string Sqlite => $"sqlite:///{_work.Path}/traces.db";

    public void Dispose() => _work.Dispose();

    /// <summary>OSProfiler's four Redis fixtures: simple and siblings_same_ms (api/nova), deep (volume/cinder), unfinished (server/neutron).</summary>
    private void ImportFixtures()
    {
        foreach (var (shape, _) in Fixtures.All().Where(f => f.Backend == "redis"))
        {
            var import = cli.Run(_work.Path, "trace", "import", Fixtures.PointsFile(shape, "redis"), "-c", Sqlite);
            Assert.True(import.ExitCode == 0, import.All);
        }
    }

    private static string Id(string shape) => FixtureTrace.Load(shape, "redis").BaseId;

    private JsonArray ListJson(params string[] options)
    {
        var list = cli.Run(_work.Path, ["trace", "list", "--json", "-c", Sqlite, .. options]);
        Assert.True(list.ExitCode == 0, list.All);
        return JsonNode.Parse(list.StandardOutput)!["traces"]!.AsArray();
    }

    [Fact]
    public void Filters_keep_the_matching_traces_and_each_json_row_carries_the_summary()
    {
        ImportFixtures();

        var api = ListJson("--service", "api");
        var deep = ListJson("--project", "cinder", "--name", "layer10");
        var none = ListJson("--service", "api", "--since", "2026-11-26T00:00:00");

        Assert.Equal(new[] { Id("simple"), Id("siblings_same_ms") }.Order(), api.Select(r => (string)r!["base_id"]!).Order());
        Assert.Equal([Id("deep")], deep.Select(r => (string)r!["base_id"]!));
        Assert.Empty(none);
        var row = deep[0]!.AsObject();
        Assert.Equal(["base_id", "timestamp", "duration_ms", "root", "services", "operations", "error"], row.Select(kv => kv.Key));
        Assert.Equal(["volume"], row["services"]!.AsArray().Select(s => (string)s!));
        Assert.True((double)row["duration_ms"]! > 0);
        Assert.False((bool)row["error"]!);
        Assert.True((bool)ListJson("--service", "api", "--error-trace").Single(r => (string)r!["base_id"]! == Id("simple"))!["error"]!);
    }

    [Fact]
    public void Count_prints_only_the_number_of_matches_and_the_table_shows_the_summary_columns()
    {
        ImportFixtures();

        var count = cli.Run(_work.Path, "trace", "list", "--count", "--project", "nova", "--max-duration", "1m", "-c", Sqlite);
        var all = cli.Run(_work.Path, "trace", "list", "--count", "-c", Sqlite);
        var table = cli.Run(_work.Path, "trace", "list", "--host", "vm", "--min-duration", "0ms", "--until", "2026-11-25T23:00:00", "-c", Sqlite);

        Assert.Equal("2", count.StandardOutput.Trim());
        Assert.Equal("4", all.StandardOutput.Trim());
        Assert.True(table.ExitCode == 0, table.All);
        var header = table.StandardOutput.Split('\n')[1];
        Assert.Equal(["base_id", "timestamp", "duration_ms", "root", "services", "operations", "error"],
            header.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains(Id("unfinished"), table.StandardOutput);
        Assert.Contains("| server ", table.StandardOutput);
    }

    [Theory]
    [InlineData("--min-duration", "5x", "min_duration '5x' is not a duration: use <n>ms, <n>s or <n>m")]
    [InlineData("--max-duration", "10", "max_duration '10' is not a duration")]
    [InlineData("--since", "yesterday", "since 'yesterday' is not a time: use an ISO timestamp")]
    [InlineData("--until", "2026-99-01", "until '2026-99-01' is not a time")]
    public void A_bad_duration_or_time_exits_2_naming_the_value_and_the_accepted_forms(string option, string value, string expected)
    {
        var list = cli.Run(_work.Path, "trace", "list", option, value, "-c", Sqlite);

        Assert.Equal(2, list.ExitCode);
        Assert.Contains(expected, list.StandardError);
        Assert.Empty(list.StandardOutput);
    }

    [Fact]
    public void Reindex_summarises_every_trace_and_searches_still_answer()
    {
        ImportFixtures();

        var reindex = cli.Run(_work.Path, "reindex", "-c", Sqlite);

        Assert.True(reindex.ExitCode == 0, reindex.All);
        Assert.Equal("reindexed 4 traces", reindex.StandardOutput.Trim());
        Assert.Equal([Id("unfinished")], ListJson("--service", "server").Select(r => (string)r!["base_id"]!));
    }

    [Fact]
    public void Bench_search_reports_each_search_against_the_unfiltered_page()
    {
        var bench = cli.Run(_work.Path, "bench", "search", "-c", Sqlite, "--traces", "200", "--repeat", "1", "--payload-bytes", "0",
            "--json", "--cleanup");

        Assert.True(bench.ExitCode == 0, bench.All);
        var figures = JsonNode.Parse(bench.StandardOutput)!;
        Assert.Equal(200, (int)figures["traces"]!);
        Assert.True((double)figures["unfiltered_p50_ms"]! > 0);
        Assert.Equal(20, (int)figures["searches"]!["service"]!["matches"]!);
        Assert.Equal(20, (int)figures["searches"]!["service"]!["rows"]!);
        Assert.Equal(200, (int)figures["cleanup"]!["deleted_traces"]!);
    }
}
