using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class PluginTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public void A_third_party_driver_dropped_into_a_plugins_folder_works_without_rebuilding_the_host()
    {
        var plugins = Path.Combine(_work.Path, "plugins");
        var project = Path.Combine(Fixtures.RepositoryRoot, "tests", "ThirdPartyDriver", "ThirdPartyDriver.csproj");
        ServerProcess.Run("dotnet", ["publish", project, "-c", "Release", "-o", Path.Combine(plugins, "ThirdPartyDriver"), "-nologo", "-v", "quiet",
], timeout: TimeSpan.FromMinutes(5));
        Assert.False(File.Exists(Path.Combine(plugins, "ThirdPartyDriver", "Profiler.Application.dll")));
        var store = $"jsonl:///{_work.Path}/store";

        var drivers = cli.Run(_work.Path, "drivers", "--plugins", plugins);
        var import = cli.Run(_work.Path, "trace", "import", Fixtures.PointsFile("deep", "redis"), "-c", store, "--plugins", plugins);
        var show = cli.Run(_work.Path, "trace", "show", FixtureTrace.Load("deep", "redis").BaseId, "-c", store, "--plugins", plugins);

        Assert.Contains("jsonl", drivers.StandardOutput);
        Assert.Contains("sqlite", drivers.StandardOutput);
        Assert.True(import.ExitCode == 0, import.All);
        Assert.True(show.ExitCode == 0, show.All);
        ReportAssert.Equivalent(FixtureTrace.Report("deep", "redis"), JsonNode.Parse(show.StandardOutput)!);
    }

    [Fact]
    public void PROFILER_PLUGINS_PATH_adds_plugin_folders_too()
    {
        var env = new Dictionary<string, string> { ["PROFILER_PLUGINS_PATH"] = Path.Combine(_work.Path, "extra") };
        var drivers = cli.Run(_work.Path, env, "drivers");

        Assert.Contains(Path.Combine(_work.Path, "extra"), drivers.StandardOutput);
    }

    [Fact]
    public void A_corrupt_plugin_is_a_warning_naming_it_and_the_other_drivers_keep_working()
    {
        var plugins = Path.Combine(_work.Path, "plugins");
        Directory.CreateDirectory(Path.Combine(plugins, "Broken"));
        File.WriteAllBytes(Path.Combine(plugins, "Broken", "Broken.dll"), [0x4D, 0x5A, 0x00, 0x01, 0x02, 0x03]);

        var drivers = cli.Run(_work.Path, "drivers", "--plugins", plugins);
        var import = cli.Run(_work.Path, "trace", "import", Fixtures.PointsFile("simple", "redis"),
            "-c", $"sqlite:///{_work.Path}/t.db", "--plugins", plugins);

        Assert.Equal(0, drivers.ExitCode);
        Assert.Contains("Plugin 'Broken'", drivers.StandardError);
        Assert.Contains("sqlite", drivers.StandardOutput);
        Assert.True(import.ExitCode == 0, import.All);
    }
}
