using Profiler.Hosting.Plugins;
using Profiler.Testing;

namespace Profiler.Hosting.Tests.Plugins;

/// <summary>The cheap look at a plugin's .deps.json: every file it names must be in the plugin's folder.</summary>
public sealed class PluginDependencyListTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Plugin(string depsJson, params string[] files)
    {
        var dll = Path.Combine(_folder.Path, "P.dll");
        File.WriteAllBytes(dll, []);
        File.WriteAllText(Path.Combine(_folder.Path, "P.deps.json"), depsJson);
        foreach (var f in files) File.WriteAllBytes(Path.Combine(_folder.Path, f), []);
        return dll;
    }

    private const string Deps = """
        {"targets": {".NETCoreApp,Version=v10.0": {"Foo/1.0.0": {"runtime": {"lib/net8.0/Foo.dll": {}, "lib/net8.0/Upper.DLL": {}},
         "resources": {"lib/net8.0/de/Foo.resources.dll": {"locale": "de"}}}}}}
        """;

    [Fact]
    public void A_plugin_whose_listed_files_are_all_there_passes_the_cheap_look_satellite_resources_aside() =>
        Assert.True(PluginDependencies.ListedFilesPresent(Plugin(Deps, "Foo.dll", "Upper.DLL")));

    [Fact]
    public void A_listed_file_missing_sends_the_plugin_to_the_exact_check_whatever_the_case_of_its_extension()
    {
        Assert.False(PluginDependencies.ListedFilesPresent(Plugin(Deps, "Foo.dll")));
    }

    [Fact]
    public void A_lower_case_name_missing_is_found_missing_too() =>
        Assert.False(PluginDependencies.ListedFilesPresent(Plugin(Deps, "Upper.DLL")));
}
