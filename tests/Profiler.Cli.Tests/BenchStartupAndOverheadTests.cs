using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary>
/// <c>bench startup</c> and <c>bench overhead</c> run and print their figures (well-formed JSON with every field, and
/// a readable table). No timing is asserted: speed is what the benches report, not what tests check.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class BenchStartupAndOverheadTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public void Bench_startup_publishes_its_hello_world_and_reports_each_commands_median_and_ratio()
    {
        var run = cli.Run(_work.Path, "bench", "startup", "--runs", "1", "--json");

        Assert.True(run.ExitCode == 0, run.All);
        var figures = JsonNode.Parse(run.StandardOutput)!;
        Assert.Equal("startup", (string)figures["mode"]!);
        Assert.Equal(1, (int)figures["runs"]!);
        Assert.True((double)figures["baseline_ms_median"]! > 0);
        Assert.EndsWith("hello", (string)figures["baseline"]!);
        var commands = figures["commands"]!.AsArray();
        Assert.Equal(["trace list (empty SQLite store)", "trace headers", "drivers"], commands.Select(c => (string)c!["command"]!));
        foreach (var c in commands)
        {
            Assert.True((double)c!["ms_median"]! > 0, c.ToJsonString());
            Assert.True((double)c["ratio"]! > 0, c.ToJsonString());
            Assert.NotNull(c["cpu_ms_median"]);
        }
        Assert.Equal(2.5, (double)figures["target_ratio"]!);
        Assert.Equal((double)figures["max_ratio"]! <= 2.5, (bool)figures["met"]!);
    }

    [Fact]
    public void Bench_startup_prints_a_table_against_a_given_baseline()
    {
        var run = cli.Run(_work.Path, "bench", "startup", "--runs", "1", "--baseline", "/bin/true");

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("hello world (baseline)", run.StandardOutput);
        Assert.Contains("trace list (empty SQLite store)", run.StandardOutput);
        Assert.Contains("largest ratio", run.StandardOutput);
    }

    [Fact]
    public void Bench_startup_refuses_a_baseline_that_is_not_a_file_naming_it()
    {
        var run = cli.Run(_work.Path, "bench", "startup", "--baseline", "/nonexistent/hello");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("/nonexistent/hello", run.StandardError);
    }

    [Fact]
    public void Bench_overhead_reports_the_scope_and_the_activity_medians_and_their_ratio_with_Redis_attached()
    {
        using var redis = new RedisProcess();

        var run = cli.Run(_work.Path, "bench", "overhead", "-c", redis.Url(), "--points", "20000", "--json", "--cleanup");

        Assert.True(run.ExitCode == 0, run.All);
        var figures = JsonNode.Parse(run.StandardOutput)!;
        var scope = (double)figures["ns_per_scope_median"]!;
        var activity = (double)figures["activity_ns_median"]!;
        Assert.True(scope > 0 && activity > 0, run.StandardOutput);
        Assert.InRange((double)figures["scope_to_activity_ratio"]!, scope / activity - 0.05, scope / activity + 0.05);
        Assert.Equal(20000, (long)figures["points_stored"]!);
        Assert.Equal(0, (long)figures["points_dropped"]!);
    }
}
