using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary>
/// The CLI builds only the command a command line names (start-up); help, typos and options before the command still
/// see the whole tree.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CommandTreeTests(PublishedCli cli) : IDisposable
{
    private static readonly string[] TopLevel = ["trace", "stats", "drivers", "demo", "bench", "serve", "reindex"];
    private static readonly string[] UnderTrace = ["show", "list", "import", "headers", "delete", "pin", "unpin", "prune", "analyze", "diff"];

    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public void Help_lists_every_command_and_every_trace_command()
    {
        var root = cli.Run(_work.Path, "--help");
        var trace = cli.Run(_work.Path, "trace", "--help");

        Assert.Equal(0, root.ExitCode);
        foreach (var name in TopLevel) Assert.Contains($"\n  {name} ", root.StandardOutput);
        Assert.Equal(0, trace.ExitCode);
        foreach (var name in UnderTrace) Assert.Contains($"\n  {name} ", trace.StandardOutput);
    }

    [Fact]
    public void A_misspelt_command_is_told_the_command_it_resembles()
    {
        var top = cli.Run(_work.Path, "driver");
        var underTrace = cli.Run(_work.Path, "trace", "lst");

        Assert.NotEqual(0, top.ExitCode);
        Assert.Contains("drivers", top.All);
        Assert.NotEqual(0, underTrace.ExitCode);
        Assert.Contains("list", underTrace.All);
    }

    [Fact]
    public void Options_before_the_command_still_reach_it()
    {
        var db = $"sqlite:///{_work.Path}/t.db";

        var after = cli.Run(_work.Path, "trace", "list", "--json", "-c", db);
        var before = cli.Run(_work.Path, "-c", db, "trace", "list", "--json");

        Assert.True(after.ExitCode == 0, after.All);
        Assert.True(before.ExitCode == 0, before.All);
        Assert.Equal(after.StandardOutput, before.StandardOutput);
    }

    [Fact]
    public void Help_version_and_parse_errors_come_from_the_full_root_command_wherever_they_are_asked()
    {
        var db = $"sqlite:///{_work.Path}/t.db";

        var help = cli.Run(_work.Path, "trace", "list", "-c", db, "/h");
        var bundled = cli.Run(_work.Path, "trace", "list", "-c", db, "-vh");
        var version = cli.Run(_work.Path, "--version");
        var missing = cli.Run(_work.Path, "trace", "list", "-c", db, "--limit");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("-?, -h, --help", help.StandardOutput);
        Assert.Contains("-?, -h, --help", bundled.StandardOutput);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.StandardOutput);
        // A parse error is reported with the usual help, --help and --version included.
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("Required argument missing for option: '--limit'", missing.All);
        Assert.Contains("-?, -h, --help", missing.All);
    }
}
