using System.Security;
using System.Text.RegularExpressions;
using Profiler.Testing;

namespace Profiler.Packaging.Tests;

/// <summary>
/// The driver template as a driver author uses it: the template pack installed from the packed folder (into a private
/// template hive), <c>dotnet new profiler-driver -n Acme.Store</c>, then <c>dotnet test</c> restoring the Profiler
/// packages from the packed folder only; and the committed <c>samples/Driver</c>, which must be exactly what the
/// template makes and build the same way.
/// </summary>
/// <remarks>
/// Restores use a private global packages folder (NUGET_PACKAGES): the machine's one keeps the first Profiler.* 0.2.0
/// it ever restored, so a later pack at the same version would not be what is tested. The third-party packages (xunit,
/// the test SDK …) come from the machine's global packages folder, read as a local feed, or nuget.org; Profiler.* come
/// from the packed folder alone (package source mapping).
/// </remarks>
[Collection(PackedSolutionCollection.Name)]
public sealed partial class TemplateTests(PackedSolution packed)
{
    private const string Version = "0.2.0";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>What a build of a generated driver leaves, and the sample's own README: not the template's output.</summary>
    private static readonly string[] NotGenerated = ["bin", "obj", "TestResults", "nuget.config", "README.md"];

    [Fact]
    public void A_driver_made_from_the_template_builds_from_the_packed_folder_and_passes_the_contract_suite()
    {
        var driver = Generate("generated-driver");

        var output = Test(driver);

        AssertPassed(output);
    }

    [Fact]
    public void The_driver_template_names_the_projects_namespaces_and_scheme_after_the_given_name()
    {
        var driver = Generate("named-driver", "Contoso.Traces.Blob");

        Assert.True(File.Exists(Path.Combine(driver, "src", "Contoso.Traces.Blob", "Contoso.Traces.Blob.csproj")));
        Assert.True(File.Exists(Path.Combine(driver, "tests", "Contoso.Traces.Blob.Tests", "Contoso.Traces.Blob.Tests.csproj")));
        var code = File.ReadAllText(Path.Combine(driver, "src", "Contoso.Traces.Blob", "ContosoTracesBlobDriver.cs"));
        Assert.Contains("namespace Contoso.Traces.Blob;", code, StringComparison.Ordinal);
        Assert.Contains("public const string Scheme = \"contoso-traces-blob\";", code, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.EnumerateFiles(driver, "*", SearchOption.AllDirectories),
            f => File.ReadAllText(f).Contains("acme", StringComparison.OrdinalIgnoreCase) || f.Contains("Acme", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_driver_template_pins_the_profiler_packages_to_the_version_it_was_packed_at()
    {
        var driver = Generate("versioned-driver");

        Assert.Contains($"<ProfilerVersion>{Version}</ProfilerVersion>", File.ReadAllText(Path.Combine(driver, "Directory.Packages.props")),
            StringComparison.Ordinal);
    }

    [Fact]
    public void The_committed_driver_sample_is_exactly_what_the_template_makes()
    {
        var sample = Path.Combine(Fixtures.RepositoryRoot, "samples", "Driver");
        var driver = Generate("sample-driver");

        var expected = Files(driver);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), Files(sample).Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, f => Assert.True(f.Value == File.ReadAllText(Path.Combine(sample, f.Key)),
            $"samples/Driver/{f.Key} is not what the template makes: regenerate the sample (see samples/Driver/README.md)"));
    }

    [Fact]
    public void The_committed_driver_sample_builds_from_the_packed_folder_and_its_tests_pass()
    {
        var copy = packed.NewFolder("sample-driver-copy");
        CopyTree(Path.Combine(Fixtures.RepositoryRoot, "samples", "Driver"), copy);

        var output = Test(copy);

        AssertPassed(output);
    }

    /// <summary><c>dotnet new profiler-driver -n NAME</c> into a fresh folder, the template pack installed from the packed folder.</summary>
    private string Generate(string folder, string name = "Acme.Store")
    {
        // A template hive of its own (not the user's): the template installed there only.
        var hive = packed.NewFolder(folder + "-template-hive");
        var output = Path.Combine(packed.NewFolder(folder), name);
        Dotnet(["new", "install", Path.Combine(packed.Folder, $"Profiler.Templates.{Version}.nupkg"), "--debug:custom-hive", hive],
            packed.Folder);
        Dotnet(["new", "profiler-driver", "-n", name, "-o", output, "--debug:custom-hive", hive], packed.Folder);
        return output;
    }

    /// <summary><c>dotnet test</c> in <paramref name="driver"/>, restoring through a nuget.config written there.</summary>
    private string Test(string driver)
    {
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set
            ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var cacheSource = Directory.Exists(globalPackages) ? $"""<add key="machine-cache" value="{SecurityElement.Escape(globalPackages)}" />""" : "";
        var cacheMapping = cacheSource.Length > 0 ? """<packageSource key="machine-cache"><package pattern="*" /></packageSource>""" : "";
        File.WriteAllText(Path.Combine(driver, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="packed" value="{SecurityElement.Escape(packed.Folder)}" />
                {cacheSource}
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="packed"><package pattern="Profiler.*" /></packageSource>
                {cacheMapping}
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        return Dotnet(["test", "-c", "Release", "-nologo"], driver);
    }

    private string Dotnet(IEnumerable<string> arguments, string workingDirectory) =>
        ServerProcess.Run("dotnet", arguments, workingDirectory, new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = packed.NewFolder("nuget-packages"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        }, Timeout);

    /// <summary>The summary line of the test run: no failure, and the contract suite's tests (30 and more) among the passed.</summary>
    private static void AssertPassed(string output)
    {
        var summary = Summary().Match(output);
        Assert.True(summary.Success, $"no test summary in:\n{output}");
        Assert.Equal("0", summary.Groups["failed"].Value);
        Assert.True(int.Parse(summary.Groups["passed"].Value, System.Globalization.CultureInfo.InvariantCulture) >= 30,
            $"too few tests passed:\n{output}");
    }

    [GeneratedRegex(@"Failed:\s+(?<failed>\d+),\s+Passed:\s+(?<passed>\d+)")]
    private static partial Regex Summary();

    /// <summary>The text of every file below <paramref name="root"/> the template makes, by path relative to it ('/'-separated).</summary>
    private static Dictionary<string, string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => !NotGenerated.Contains(f.Split('/')[0], StringComparer.Ordinal)
                        && !f.Split('/').Any(part => part is "bin" or "obj" or "TestResults"))
            .ToDictionary(f => f, f => File.ReadAllText(Path.Combine(root, f)), StringComparer.Ordinal);

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "TestResults")) continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
