using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary>
/// Plugin loading as the help and the README describe it: the search order (--plugins, then $PROFILER_PLUGINS_PATH,
/// then plugins/ beside the executable), scheme conflicts naming both folders, a folder given twice loading once, a
/// missing --plugins folder, a plugin whose dependency is missing, and -v/--verbosity showing the drivers' logs.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class PluginLoadingTests(PublishedCli cli, ProbePlugin probe) : IClassFixture<ProbePlugin>, IDisposable
{
    private readonly TempDirectory _work = new("profiler-plugin-loading-");

    public void Dispose() => _work.Dispose();

    private string Folder(string name) => probe.InstallInto(Path.Combine(_work.Path, name));

    /// <summary>The base id the probe store lists: <c>from-&lt;the plugins folder it was loaded from&gt;</c>.</summary>
    private static string ServedFrom(CliResult list)
    {
        Assert.True(list.ExitCode == 0, list.All);
        return JsonNode.Parse(list.StandardOutput)!["traces"]![0]!["base_id"]!.GetValue<string>();
    }

    [Fact]
    public void The_search_order_is_plugins_option_then_PROFILER_PLUGINS_PATH_then_plugins_beside_the_executable()
    {
        var option = Folder("option");
        var variable = Folder("variable");
        var env = new Dictionary<string, string> { ["PROFILER_PLUGINS_PATH"] = variable };

        // --plugins comes before the variable, which comes before plugins/ beside the executable (where sqlite lives).
        Assert.Equal("from-option", ServedFrom(cli.Run(_work.Path, env, "trace", "list", "--json", "-c", "probe:///x", "--plugins", option)));
        Assert.Equal("from-variable", ServedFrom(cli.Run(_work.Path, env, "trace", "list", "--json", "-c", "probe:///x")));
        Assert.Equal("from-variable", ServedFrom(cli.Run(_work.Path, env, "trace", "list", "--json", "-c", "sqlite:///t.db")));
        var builtIn = cli.Run(_work.Path, "trace", "list", "--json", "-c", "sqlite:///t.db");
        Assert.True(builtIn.ExitCode == 0, builtIn.All);
        Assert.Empty(JsonNode.Parse(builtIn.StandardOutput)!["traces"]!.AsArray());

        var drivers = cli.Run(_work.Path, env, "drivers", "--plugins", option);
        Assert.Contains($"Plugin folders searched: {option}, {variable}, {Path.Combine(cli.Directory, "plugins")}", drivers.StandardOutput);
    }

    [Fact]
    public void A_scheme_claimed_by_two_plugins_names_both_plugins_folders()
    {
        var first = Folder("first");
        var second = Folder("second");

        var drivers = cli.Run(_work.Path, "drivers", "--plugins", first, "--plugins", second);

        Assert.Equal(0, drivers.ExitCode);
        var conflict = drivers.StandardError.Split('\n').Single(l => l.Contains("also claims scheme 'probe'", StringComparison.Ordinal));
        Assert.Contains(Path.Combine(second, "ProbeDriver"), conflict);
        Assert.Contains(Path.Combine(first, "ProbeDriver"), conflict);
        Assert.Contains("'ProbeDriver' keeps it", conflict);
        var builtIn = drivers.StandardError.Split('\n').Single(l => l.StartsWith("profiler: warning: Plugin 'Profiler.Infrastructure.Sql'", StringComparison.Ordinal)
                                                                 && l.Contains("also claims scheme 'sqlite'", StringComparison.Ordinal));
        Assert.Contains(Path.Combine(cli.Directory, "plugins", "Profiler.Infrastructure.Sql"), builtIn);
        Assert.Contains(Path.Combine(first, "ProbeDriver"), builtIn);
    }

    [Fact]
    public void The_same_folder_given_twice_in_different_spellings_loads_once()
    {
        var folder = Folder("twice");
        var env = new Dictionary<string, string> { ["PROFILER_PLUGINS_PATH"] = folder + Path.DirectorySeparatorChar };

        var drivers = cli.Run(_work.Path, env, "drivers", "--plugins", folder, "--plugins", folder + "/", "--plugins", "twice",
            "--plugins", Path.Combine(folder, "..", "twice"));

        Assert.Equal(0, drivers.ExitCode);
        Assert.Single(drivers.StandardOutput.Split('\n'), l => l.StartsWith("probe ", StringComparison.Ordinal));
        Assert.DoesNotContain("also claims scheme 'probe'", drivers.StandardError);
        Assert.Contains($"Plugin folders searched: {folder}, {Path.Combine(cli.Directory, "plugins")}", drivers.StandardOutput);
    }

    [Theory]
    [InlineData("drivers")]
    [InlineData("trace", "list")]
    [InlineData("serve", "--urls", "http://127.0.0.1:0")]
    public void A_plugins_folder_that_does_not_exist_is_exit_2_naming_it(params string[] command)
    {
        var result = cli.Run(_work.Path, [.. command, "--plugins", "no-such-plugins"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--plugins folder 'no-such-plugins' does not exist", result.StandardError);
        Assert.Contains(Path.Combine(_work.Path, "no-such-plugins"), result.StandardError);
    }

    [Fact]
    public void A_plugin_whose_dependency_is_missing_is_named_with_the_missing_assembly()
    {
        var folder = Folder("broken");
        File.Delete(Path.Combine(folder, "ProbeDriver", "ProbeHelper.dll"));

        var drivers = cli.Run(_work.Path, "drivers", "--plugins", folder);
        var list = cli.Run(_work.Path, "trace", "list", "-c", "probe:///x", "--plugins", folder);
        var sqlite = cli.Run(_work.Path, "trace", "list", "-c", "sqlite:///t.db", "--plugins", folder);

        Assert.Equal(0, drivers.ExitCode);
        Assert.Contains("Plugin 'ProbeDriver'", drivers.StandardError);
        Assert.Contains("'ProbeHelper, Version=", drivers.StandardError);
        Assert.Equal(3, list.ExitCode);
        var last = list.StandardError.TrimEnd().Split('\n')[^1];
        Assert.Contains("No driver serves scheme 'probe'", last);
        Assert.Contains("Plugin 'ProbeDriver'", last);
        Assert.Contains("ProbeHelper", last);
        Assert.DoesNotContain("Could not load file or assembly", list.All);
        Assert.True(sqlite.ExitCode == 0, sqlite.All);
    }

    [Fact]
    public void Verbosity_shows_the_drivers_logs_on_stderr_at_the_level_asked_for()
    {
        var folder = Folder("logs");
        CliResult List(params string[] verbosity) =>
            cli.Run(_work.Path, [.. verbosity, "trace", "list", "--json", "-c", "probe:///x", "--plugins", folder]);

        var quiet = List("--verbosity", "quiet");
        var normal = List("--verbosity", "normal");
        var detailed = List("-v");
        var debug = List("--verbosity", "debug");
        var byDefault = List();

        Assert.DoesNotContain("probe-", byDefault.StandardError);
        Assert.DoesNotContain("probe-", quiet.StandardError);
        Assert.Contains(ProbePlugin.InformationMessage, normal.StandardError);
        Assert.DoesNotContain(ProbePlugin.DebugMessage, normal.StandardError);
        Assert.Contains(ProbePlugin.DebugMessage, detailed.StandardError);
        Assert.Contains(ProbePlugin.DebugMessage, debug.StandardError);
        // Logs go to stderr only: the listing on stdout stays parseable.
        Assert.Equal("from-logs", ServedFrom(detailed));
    }

    [Fact]
    public void An_unknown_verbosity_is_exit_2_naming_the_value_and_the_levels()
    {
        var result = cli.Run(_work.Path, "--verbosity", "loud", "trace", "list");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--verbosity 'loud'", result.StandardError);
        Assert.Contains("diagnostic (trace)", result.StandardError);
    }

    [Fact]
    public void Bench_cleanup_on_a_store_that_cannot_delete_says_so_and_still_succeeds()
    {
        var folder = Folder("nocleanup");

        var bench = cli.Run(_work.Path, "bench", "list", "-c", "probe:///x", "--traces", "2", "--repeat", "1", "--json", "--cleanup",
            "--plugins", folder);

        Assert.True(bench.ExitCode == 0, bench.All);
        var cleanup = JsonNode.Parse(bench.StandardOutput)!["cleanup"]!;
        Assert.False(cleanup["supported"]!.GetValue<bool>());
        Assert.Equal(0, cleanup["deleted_traces"]!.GetValue<int>());
        Assert.Contains("cannot delete traces (it does not implement ITraceStoreCleanup)", bench.StandardError);
    }
    /// <summary>Writes the probe plugin's scheme index in <paramref name="folder"/>.</summary>
    private static void Index(string folder, string text) =>
        File.WriteAllText(Path.Combine(folder, "ProbeDriver", "ProbeDriver.schemes"), text);

    [Fact]
    public void Every_built_in_plugin_has_a_scheme_index_listing_exactly_the_schemes_its_drivers_serve()
    {
        foreach (var name in new[] { "Profiler.Infrastructure.Sql", "Profiler.Infrastructure.Redis", "Profiler.Infrastructure.Otlp" })
            Assert.True(File.Exists(Path.Combine(cli.Directory, "plugins", name, name + ".schemes")), $"{name} has no scheme index");

        // drivers loads every plugin, and the catalog warns about an index that lists other schemes than the drivers serve.
        var drivers = cli.Run(_work.Path, "drivers");

        Assert.True(drivers.ExitCode == 0, drivers.All);
        Assert.Contains("sqlite", drivers.StandardOutput);
        Assert.DoesNotContain("scheme index", drivers.All);
    }

    [Fact]
    public void A_store_command_does_not_load_a_plugin_whose_scheme_index_leaves_its_scheme_out()
    {
        var option = Folder("option");

        // Listed: the probe is loaded, and serves sqlite before plugins/ beside the executable.
        Index(option, "probe\nsqlite\n");
        Assert.Equal("from-option", ServedFrom(cli.Run(_work.Path, "trace", "list", "--json", "-c", "sqlite:///t.db", "--plugins", option)));

        // Left out: the probe is not loaded for a sqlite store (no conflict with the built-in driver either)...
        Index(option, "# the probe's own scheme only\nprobe\n");
        var list = cli.Run(_work.Path, "trace", "list", "--json", "-c", "sqlite:///t.db", "--plugins", option);
        Assert.True(list.ExitCode == 0, list.All);
        Assert.Empty(JsonNode.Parse(list.StandardOutput)!["traces"]!.AsArray());
        Assert.DoesNotContain("also claims", list.StandardError);
        // ...still is for its own scheme, and drivers (every plugin) says the index is out of step with the driver.
        Assert.Equal("from-option", ServedFrom(cli.Run(_work.Path, "trace", "list", "--json", "-c", "probe:///x", "--plugins", option)));
        var drivers = cli.Run(_work.Path, "drivers", "--plugins", option);
        Assert.Contains("lists probe but its drivers serve probe, sqlite", drivers.StandardError);
    }

    [Fact]
    public void A_scheme_no_index_lists_loads_every_plugin_so_a_stale_index_never_hides_a_driver()
    {
        var option = Folder("option");
        Index(option, "other\n");

        Assert.Equal("from-option", ServedFrom(cli.Run(_work.Path, "trace", "list", "--json", "-c", "probe:///x", "--plugins", option)));
        var unknown = cli.Run(_work.Path, "trace", "list", "-c", "nope:///x", "--plugins", option);
        Assert.Equal(3, unknown.ExitCode);
        Assert.Contains("Known schemes: mariadb, mysql", unknown.StandardError);
        Assert.Contains("probe", unknown.StandardError);
        Assert.Contains("redis", unknown.StandardError);
    }
}
