using System.IO.Compression;
using System.Xml.Linq;
using Profiler.Testing;

namespace Profiler.Packaging.Tests;

/// <summary>
/// <c>dotnet pack Profiler.sln --no-build -o DIR</c> into an empty folder, once for the test run, in the configuration
/// these tests were built in (the packed projects are built first through project references).
/// </summary>
public sealed class PackedSolution : IDisposable
{
    private readonly TempDirectory _dir = new("profiler-pack-");

    public PackedSolution()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        Folder = Path.Combine(_dir.Path, "packages");
        // The tool is packed from its own publish folder here, not bin/…/publish, which other tests may be using.
        ServerProcess.Run("dotnet", ["pack", Path.Combine(Fixtures.RepositoryRoot, "Profiler.sln"), "-c", configuration, "--no-build",
            "-o", Folder, $"-p:PublishDir={Path.Combine(_dir.Path, "publish")}/", "-nologo", "-v", "quiet"], timeout: TimeSpan.FromMinutes(5));
    }

    /// <summary>The folder holding the packed .nupkg and .snupkg files.</summary>
    public string Folder { get; }

    /// <summary>A fresh folder below the fixture's, deleted with it.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(_dir.Path, name)).FullName;

    /// <summary>The nuspec of the package <paramref name="id"/> at <paramref name="version"/>.</summary>
    public XElement Nuspec(string id, string version)
    {
        using var zip = ZipFile.OpenRead(Path.Combine(Folder, $"{id}.{version}.nupkg"));
        using var stream = zip.GetEntry($"{id}.nuspec")!.Open();
        return XElement.Load(stream);
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>The test classes that use the packed solution share one pack.</summary>
[CollectionDefinition(Name)]
public sealed class PackedSolutionCollection : ICollectionFixture<PackedSolution>
{
    public const string Name = "packed solution";
}

[Collection(PackedSolutionCollection.Name)]
public sealed class PackagingTests(PackedSolution packed)
{
    private const string Version = "0.2.0";

    private static readonly string[] PackageIds =
    [
        "Profiler.Application", "Profiler.AspNetCore", "Profiler.Cli", "Profiler.Domain", "Profiler.EntityFrameworkCore",
        "Profiler.Hosting", "Profiler.Infrastructure.Otlp", "Profiler.Infrastructure.Redis", "Profiler.Infrastructure.Sql",
        "Profiler.Instrumentation", "Profiler.Otlp", "Profiler.Storage.Abstractions", "Profiler.Storage.Testing", "Profiler.Templates",
    ];

    private static IEnumerable<(string Id, string Version)> Dependencies(XElement nuspec) =>
        nuspec.Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => ((string)e.Attribute("id")!, (string)e.Attribute("version")!));

    [Fact]
    public void The_solution_packs_exactly_the_library_and_tool_packages_each_with_its_symbols()
    {
        var files = Directory.GetFiles(packed.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(PackageIds.SelectMany(id => id == "Profiler.Templates" ? new[] { $"{id}.{Version}.nupkg" } : new[] { $"{id}.{Version}.nupkg", $"{id}.{Version}.snupkg" }).Order(StringComparer.Ordinal), files);
    }

    [Fact]
    public void Every_package_has_the_one_version_a_license_a_readme_and_depends_on_its_siblings_at_that_version()
    {
        foreach (var id in PackageIds)
        {
            var metadata = packed.Nuspec(id, Version).Elements().Single(e => e.Name.LocalName == "metadata");
            string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

            Assert.Equal((id, Version, "Apache-2.0", "README.md"), (Value("id"), Value("version"), Value("license"), Value("readme")));
            Assert.False(string.IsNullOrWhiteSpace(Value("description")), $"{id} has no description");
            Assert.All(Dependencies(metadata).Where(d => d.Id.StartsWith("Profiler.", StringComparison.Ordinal)),
                d => Assert.Equal(Version, d.Version));
        }
    }

    [Fact]
    public void The_driver_contract_package_depends_on_the_domain_and_logging_abstractions_only()
    {
        Assert.Equal(
            [("Microsoft.Extensions.Logging.Abstractions", "10.0.15"), ("Profiler.Domain", Version)],
            Dependencies(packed.Nuspec("Profiler.Storage.Abstractions", Version)).Order());
    }

    [Theory]
    [InlineData("Profiler.AspNetCore", "Profiler.Instrumentation")]
    [InlineData("Profiler.EntityFrameworkCore", "Profiler.Instrumentation Microsoft.EntityFrameworkCore.Relational")]
    [InlineData("Profiler.Instrumentation", "Profiler.Application Microsoft.Extensions.Configuration.Abstractions Microsoft.Extensions.Hosting.Abstractions Microsoft.Extensions.Http Microsoft.Extensions.Options Polly.Core")]
    [InlineData("Profiler.Hosting", "Profiler.Application Profiler.AspNetCore Profiler.Otlp McMaster.NETCore.Plugins Grpc.AspNetCore.Server")]
    [InlineData("Profiler.Otlp", "Profiler.Domain Google.Protobuf Grpc.Core.Api")]
    public void A_library_package_depends_on_what_it_references_not_on_the_repositorys_pinned_versions(string id, string references)
    {
        Assert.Equal(references.Split(' ').Order(StringComparer.Ordinal),
            Dependencies(packed.Nuspec(id, Version)).Select(d => d.Id).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("Profiler.Infrastructure.Otlp")]
    [InlineData("Profiler.Infrastructure.Redis")]
    [InlineData("Profiler.Infrastructure.Sql")]
    public void A_driver_package_takes_the_contract_from_its_host_at_run_time(string id)
    {
        var contract = packed.Nuspec(id, Version).Descendants()
            .Where(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") is "Profiler.Storage.Abstractions" or "Profiler.Domain")
            .ToList();

        Assert.Equal(2, contract.Count);
        Assert.All(contract, d => Assert.Contains("Runtime", ((string?)d.Attribute("exclude") ?? "").Split(','), StringComparer.Ordinal));
    }

    [Fact]
    public void The_tool_installs_from_the_packed_folder_alone_and_lists_every_built_in_driver()
    {
        var work = packed.NewFolder("tool");
        // No package source but the packed folder: the tool package carries everything it runs with.
        var config = Path.Combine(work, "nuget.config");
        File.WriteAllText(config, "<configuration><packageSources><clear /></packageSources></configuration>");
        var toolPath = Path.Combine(work, "bin");
        ServerProcess.Run("dotnet", ["tool", "install", "--tool-path", toolPath, "--configfile", config, "--add-source", packed.Folder,
            "Profiler.Cli", "--version", Version], workingDirectory: work);

        var home = packed.NewFolder("home");
        var output = ServerProcess.Run(Path.Combine(toolPath, "profiler"), ["drivers"], workingDirectory: work,
            environment: new Dictionary<string, string> { ["HOME"] = home });

        var schemes = output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length > 1).Select(w => w[0]).ToHashSet();
        Assert.Superset(new HashSet<string> { "sqlite", "redis", "redissentinel", "mysql", "postgresql", "otlp" }, schemes);
        foreach (var scheme in new[] { "rediss", "mysql+pymysql", "mariadb", "postgresql+psycopg2", "postgres" })
            Assert.Contains(scheme, output, StringComparison.Ordinal);
    }
}
