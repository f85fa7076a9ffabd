using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary>
/// The plugin boundary as a driver author sees it: a published driver plugin depends on the driver contract
/// (Profiler.Storage.Abstractions) and the domain types only, and ships neither of them beside itself: the host's copy
/// is the one its load context shares.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class PluginDependencyTests(PublishedCli cli)
{
    private static readonly string[] NotAPluginDependency = ["Profiler.Application", "MediatR", "FluentValidation", "McMaster"];
    private static readonly string[] SharedWithTheHost = ["Profiler.Domain.dll", "Profiler.Storage.Abstractions.dll"];

    public static TheoryData<string> BuiltInPlugins => new() { "Profiler.Infrastructure.Redis", "Profiler.Infrastructure.Sql" };

    [Theory]
    [MemberData(nameof(BuiltInPlugins))]
    public void A_published_plugins_dependency_file_names_neither_the_application_layer_nor_MediatR_nor_FluentValidation(string plugin)
    {
        var folder = Path.Combine(cli.Directory, "plugins", plugin);
        var depsJson = File.ReadAllText(Path.Combine(folder, plugin + ".deps.json"));

        foreach (var name in NotAPluginDependency)
            Assert.False(depsJson.Contains(name, StringComparison.OrdinalIgnoreCase), $"{plugin}.deps.json names {name}");
        Assert.Contains($"\"{plugin}/", depsJson); // the file does describe this plugin
    }

    [Fact]
    public void A_plugin_lacking_a_file_its_dependency_list_names_is_skipped_naming_the_assembly_and_who_needs_it()
    {
        using var work = new TempDirectory();
        var copy = Path.Combine(work.Path, "plugins", "Profiler.Infrastructure.Redis");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(Path.Combine(cli.Directory, "plugins", "Profiler.Infrastructure.Redis")))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        File.Delete(Path.Combine(copy, "RESPite.dll"));

        var drivers = cli.Run(work.Path, "drivers", "--plugins", Path.Combine(work.Path, "plugins"));

        Assert.Equal(0, drivers.ExitCode);
        var warning = Assert.Single(drivers.StandardError.Split('\n'), l => l.Contains(copy, StringComparison.Ordinal) && l.Contains("skipped", StringComparison.Ordinal));
        Assert.Contains("'RESPite, Version=", warning);
        Assert.Contains("(referenced by StackExchange.Redis.dll)", warning);
        // The built-in Redis plugin, next in the search order, serves the scheme instead.
        Assert.Contains(Path.Combine(cli.Directory, "plugins", "Profiler.Infrastructure.Redis"), drivers.StandardOutput);
    }

    [Theory]
    [MemberData(nameof(BuiltInPlugins))]
    public void A_published_plugin_ships_no_copy_of_the_contract_or_the_domain(string plugin)
    {
        var folder = Path.Combine(cli.Directory, "plugins", plugin);

        Assert.True(File.Exists(Path.Combine(folder, plugin + ".dll")), $"{plugin}.dll is missing from {folder}");
        foreach (var shared in SharedWithTheHost)
            Assert.False(File.Exists(Path.Combine(folder, shared)), $"{plugin} ships its own {shared}");
    }
}
