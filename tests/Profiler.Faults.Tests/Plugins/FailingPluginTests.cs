using System.Text.Json.Nodes;
using Profiler.Cli.Tests;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Plugins;

/// <summary>
/// One plugin folder holding every kind of failing plugin beside a working third-party one: a corrupt assembly, drivers
/// that throw in their constructor, Name or Schemes, a driver whose Open throws or returns null, and two plugins
/// claiming the same schemes. Each failure is a clear message naming the plugin; every other driver keeps working.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class FailingPluginTests(PublishedCli cli, ITestOutputHelper output) : IDisposable
{
    private const string Secret = "plugin-Pa55-w0rd";
    private readonly TempDirectory _work = new("profiler-faults-plugins-");

    public void Dispose() => _work.Dispose();

    /// <summary>Publishes the faulty drivers (and a copy as FaultyDriversTwin), ThirdPartyDriver, and a corrupt Broken.dll.</summary>
    private string PluginFolder()
    {
        var plugins = Path.Combine(_work.Path, "plugins");
        var faulty = Path.Combine(Fixtures.RepositoryRoot, "tests", "FaultyDrivers", "FaultyDrivers.csproj");
        var thirdParty = Path.Combine(Fixtures.RepositoryRoot, "tests", "ThirdPartyDriver", "ThirdPartyDriver.csproj");
        ServerProcess.Run("dotnet", ["publish", faulty, "-c", "Release", "-o", Path.Combine(plugins, "FaultyDrivers"), "-nologo", "-v", "quiet"],
            timeout: TimeSpan.FromMinutes(5));
        ServerProcess.Run("dotnet", ["publish", thirdParty, "-c", "Release", "-o", Path.Combine(plugins, "ThirdPartyDriver"), "-nologo", "-v", "quiet"],
            timeout: TimeSpan.FromMinutes(5));
        // The same build under a second name: a second plugin claiming every scheme the first one claims.
        Directory.CreateDirectory(Path.Combine(plugins, "FaultyDriversTwin"));
        File.Copy(Path.Combine(plugins, "FaultyDrivers", "FaultyDrivers.dll"), Path.Combine(plugins, "FaultyDriversTwin", "FaultyDriversTwin.dll"));
        Directory.CreateDirectory(Path.Combine(plugins, "Broken"));
        File.WriteAllBytes(Path.Combine(plugins, "Broken", "Broken.dll"), [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0xFF, 0xFF]);
        return plugins;
    }

    private static string LastLine(CliResult r) => r.StandardError.TrimEnd().Split('\n')[^1];

    [Fact]
    public void Each_failing_plugin_is_named_in_a_clear_message_and_the_other_drivers_keep_working()
    {
        var plugins = PluginFolder();
        var drivers = cli.Run(_work.Path, "drivers", "--plugins", plugins);
        output.WriteLine("profiler drivers:\n" + drivers.All);

        Assert.Equal(0, drivers.ExitCode);
        foreach (var scheme in new[] { "jsonl", "sqlite", "redis", "openthrows", "opennull", "dup", "storethrows" })
            Assert.Contains(scheme, drivers.StandardOutput);
        foreach (var plugin in new[] { "FaultyDrivers", "FaultyDriversTwin" })
        {
            Assert.Contains($"Plugin '{plugin}': driver FaultyDrivers.CtorThrowsDriver failed to start and was skipped: InvalidOperationException: the ctorthrows driver refuses to start", drivers.StandardError);
            Assert.Contains($"Plugin '{plugin}': driver FaultyDrivers.NameThrowsDriver failed to start", drivers.StandardError);
            Assert.Contains($"Plugin '{plugin}': driver FaultyDrivers.SchemesThrowDriver failed to start", drivers.StandardError);
        }
        Assert.Contains($"Plugin 'FaultyDriversTwin' (dup, in {Path.Combine(plugins, "FaultyDriversTwin")}) also claims scheme 'dup', which plugin " +
                        $"'FaultyDrivers' (dup, in {Path.Combine(plugins, "FaultyDrivers")}) serves; 'FaultyDrivers' keeps it", drivers.StandardError);
        Assert.Contains("Plugin 'Broken'", drivers.StandardError);
        Assert.DoesNotContain("   at ", drivers.All);

        // Stores of the failing drivers: exit 3, the last line names driver and plugin, no password, no stack trace.
        var cases = new (string Store, string Expected)[]
        {
            ($"openthrows://:{Secret}@store.example/x", "Driver 'openthrows' of plugin 'FaultyDrivers'"),
            ($"opennull://:{Secret}@store.example/x", "Driver 'opennull' of plugin 'FaultyDrivers'"),
            ("dup:///x", "the dup store of FaultyDrivers"),
            ("ctorthrows:///x", "No driver serves scheme 'ctorthrows'"),
        };
        foreach (var (store, expected) in cases)
        {
            foreach (var args in new[] { new[] { "trace", "list" }, ["trace", "show", "some-id"], ["serve", "--urls", $"http://127.0.0.1:{FreePort.Next()}"] })
            {
                var r = cli.Run(_work.Path, [.. args, "-c", store, "--plugins", plugins]);
                output.WriteLine($"{string.Join(' ', args)} -c {store}: exit {r.ExitCode}: {LastLine(r)}");
                Assert.True(r.ExitCode == 3, r.All);
                Assert.Contains(expected, LastLine(r));
                Assert.StartsWith("profiler: ", LastLine(r));
                Assert.DoesNotContain(Secret, r.All);
                Assert.DoesNotContain("   at ", r.All);
            }
        }

        // A store that opened and then throws what the contract does not allow: exit 70, the plugin named, no password.
        foreach (var args in new[] { new[] { "trace", "list" }, ["trace", "show", "some-id"], ["trace", "import", Fixtures.PointsFile("simple", "redis")] })
        {
            var r = cli.Run(_work.Path, [.. args, "-c", $"storethrows://:{Secret}@store.example/x", "--plugins", plugins]);
            output.WriteLine($"{string.Join(' ', args)} -c storethrows: exit {r.ExitCode}: {LastLine(r)}");
            Assert.True(r.ExitCode == 70, r.All);
            Assert.Contains("unexpected InvalidOperationException from plugin 'FaultyDrivers'", LastLine(r));
            Assert.Contains("the storethrows store broke (password ***)", LastLine(r));
            Assert.DoesNotContain(Secret, r.All);
            Assert.DoesNotContain("   at ", r.All);
        }

        // The working drivers beside them.
        var jsonl = $"jsonl:///{_work.Path}/jsonl-store";
        var sqlite = $"sqlite:///{_work.Path}/t.db";
        var baseId = FixtureTrace.Load("deep", "redis").BaseId;
        foreach (var store in new[] { jsonl, sqlite })
        {
            var import = cli.Run(_work.Path, "trace", "import", Fixtures.PointsFile("deep", "redis"), "-c", store, "--plugins", plugins);
            var show = cli.Run(_work.Path, "trace", "show", baseId, "-c", store, "--plugins", plugins);
            output.WriteLine($"{store}: import exit {import.ExitCode}, show exit {show.ExitCode}");
            Assert.True(import.ExitCode == 0, import.All);
            Assert.True(show.ExitCode == 0, show.All);
            ReportAssert.Equivalent(FixtureTrace.Report("deep", "redis"), JsonNode.Parse(show.StandardOutput)!, payloadInfoOnly: store == sqlite);
        }
    }
}
