using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary>The third-party JSON Lines driver published once into a temporary plugins folder (as a user installs it).</summary>
public sealed class JsonLinesPlugin : IDisposable
{
    private readonly TempDirectory _dir = new("profiler-jsonl-plugin-");

    public JsonLinesPlugin()
    {
        Folder = Path.Combine(_dir.Path, "plugins");
        var project = Path.Combine(Fixtures.RepositoryRoot, "tests", "ThirdPartyDriver", "ThirdPartyDriver.csproj");
        ServerProcess.Run("dotnet", ["publish", project, "-c", "Release", "-o", Path.Combine(Folder, "ThirdPartyDriver"), "-nologo", "-v", "quiet"],
            timeout: TimeSpan.FromMinutes(5));
    }

    /// <summary>The plugins folder to give <c>--plugins</c>.</summary>
    public string Folder { get; }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// <c>trace delete</c>, <c>trace pin</c>/<c>unpin</c>, <c>trace prune</c> and <c>stats</c> through the published CLI: on
/// the JSON Lines plugin, which has every lifecycle capability, and on the probe plugin, which has none (exit 3 naming
/// the driver).
/// </summary>
[Collection(CliCollection.Name)]
public sealed class LifecycleTests(PublishedCli cli, JsonLinesPlugin jsonl, ProbePlugin probe)
    : IClassFixture<JsonLinesPlugin>, IClassFixture<ProbePlugin>, IDisposable
{
    private readonly TempDirectory _work = new("profiler-lifecycle-");

    public void Dispose() => _work.Dispose();

    private string Store => $"jsonl:///{_work.Path}/store";

    private CliResult Run(params string[] args) => cli.Run(_work.Path, [.. args, "-c", Store, "--plugins", jsonl.Folder]);

    private static JsonNode Json(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.All);
        return JsonNode.Parse(result.StandardOutput)!;
    }

    private string[] Listed() => Json(Run("trace", "list", "--json"))["traces"]!.AsArray().Select(t => t!["base_id"]!.GetValue<string>()).Order().ToArray();

    /// <summary>Imports two OSProfiler fixture traces (written years ago): returns their base ids and point counts.</summary>
    private ((string Id, int Points) Deep, (string Id, int Points) Simple) ImportTwo()
    {
        foreach (var shape in new[] { "deep", "simple" })
        {
            var import = Run("trace", "import", Fixtures.PointsFile(shape, "redis"));
            Assert.True(import.ExitCode == 0, import.All);
        }
        var deep = FixtureTrace.Load("deep", "redis");
        var simple = FixtureTrace.Load("simple", "redis");
        return ((deep.BaseId, deep.Points.Count), (simple.BaseId, simple.Points.Count));
    }

    [Fact]
    public void Stats_pin_prune_and_unpin_work_end_to_end_on_a_plugin_driver()
    {
        var (deep, simple) = ImportTwo();

        var before = Json(Run("stats", "--json"));
        Assert.Equal(2, before["traces"]!.GetValue<long>());
        Assert.Equal(deep.Points + simple.Points, before["points"]!.GetValue<long>());
        Assert.Equal(0, before["pinned"]!.GetValue<long>());
        Assert.True(before["bytes"]!.GetValue<long>() > 0);

        var pin = Run("trace", "pin", simple.Id);
        Assert.True(pin.ExitCode == 0, pin.All);
        Assert.Equal(1, Json(Run("stats", "--json"))["pinned"]!.GetValue<long>());

        var dryRun = Json(Run("trace", "prune", "--older-than", "1d", "--dry-run", "--json"));
        Assert.Equal(1, dryRun["traces"]!.GetValue<long>());
        Assert.Equal(deep.Points, dryRun["points"]!.GetValue<long>());
        Assert.True(dryRun["dry_run"]!.GetValue<bool>());
        Assert.Equal(new[] { deep.Id, simple.Id }.Order(), Listed());

        var prune = Run("trace", "prune", "--older-than", "1d");
        Assert.True(prune.ExitCode == 0, prune.All);
        Assert.Contains($"removed 1 trace(s), {deep.Points} point(s)", prune.StandardOutput);
        Assert.Equal([simple.Id], Listed());

        Assert.True(Run("trace", "unpin", simple.Id).ExitCode == 0);
        Assert.Equal(1, Json(Run("trace", "prune", "--older-than", "86400", "--json"))["traces"]!.GetValue<long>());
        Assert.Empty(Listed());
    }

    [Fact]
    public void Delete_removes_the_traces_it_finds_and_exits_1_naming_the_ids_it_does_not()
    {
        var (deep, simple) = ImportTwo();

        var delete = Run("trace", "delete", deep.Id, "no-such-trace");

        Assert.Equal(1, delete.ExitCode);
        Assert.Contains("'no-such-trace'", delete.StandardError);
        Assert.DoesNotContain(deep.Id, delete.StandardError);
        Assert.Equal([simple.Id], Listed());
        Assert.Equal(1, Run("trace", "show", deep.Id).ExitCode);
        Assert.Equal(0, Run("trace", "delete", simple.Id).ExitCode);
        Assert.Empty(Listed());
    }

    [Fact]
    public void Pinning_an_unknown_trace_is_exit_1_naming_it()
    {
        var pin = Run("trace", "pin", "no-such-trace");

        Assert.Equal(1, pin.ExitCode);
        Assert.Contains("'no-such-trace' not found", pin.StandardError);
    }

    [Theory]
    [InlineData("7x")]
    [InlineData("0")]
    [InlineData("1w")]
    public void A_bad_duration_is_exit_2_naming_the_value_and_what_is_accepted(string value)
    {
        var prune = Run("trace", "prune", "--older-than", value);

        Assert.Equal(2, prune.ExitCode);
        Assert.Contains($"--older-than '{value}'", prune.StandardError);
        Assert.Contains("90s, 15m, 12h, 7d", prune.StandardError);
    }

    [Theory]
    [InlineData("does not support store statistics", "stats")]
    [InlineData("does not support pinning traces", "trace", "pin", "t1")]
    [InlineData("does not support pinning traces", "trace", "unpin", "t1")]
    [InlineData("does not support pruning traces", "trace", "prune", "--older-than", "7d")]
    [InlineData("does not support deleting traces", "trace", "delete", "t1")]
    public void A_driver_without_the_capability_is_exit_3_saying_so(string expected, params string[] args)
    {
        var folder = probe.InstallInto(Path.Combine(_work.Path, "probe"));

        var result = cli.Run(_work.Path, [.. args, "-c", "probe:///x", "--plugins", folder]);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains($"the probe driver {expected}", result.StandardError);
    }
}
