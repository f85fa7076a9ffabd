using System.Reflection.PortableExecutable;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary>
/// The install the README documents, <c>dotnet publish Host/Profiler.Cli -c Release -o DIR</c>, built as a user builds
/// it (not the <c>--no-build</c> publish the other CLI tests share): it succeeds, carries every built-in driver, and is
/// precompiled (ReadyToRun), the plugins too.
/// </summary>
public sealed class DocumentedInstallTests
{
    [Fact]
    public void The_documented_publish_builds_a_precompiled_profiler_with_every_built_in_driver()
    {
        using var dir = new TempDirectory("profiler-install-");
        var output = Path.Combine(dir.Path, "profiler");
        ServerProcess.Run("dotnet", ["publish", Path.Combine(Fixtures.RepositoryRoot, "Host", "Profiler.Cli", "Profiler.Cli.csproj"),
            "-c", "Release", "-o", output, "-nologo", "-v", "quiet"], timeout: TimeSpan.FromMinutes(15));

        var drivers = ServerProcess.Run(Path.Combine(output, "profiler"), ["drivers"], workingDirectory: dir.Path);
        foreach (var scheme in new[] { "sqlite", "redis", "redissentinel", "mysql", "postgresql", "otlp+http" })
            Assert.Contains(scheme, drivers, StringComparison.Ordinal);

        Assert.True(IsReadyToRun(Path.Combine(output, "profiler.dll")), "profiler.dll is not ReadyToRun");
        foreach (var plugin in Directory.GetDirectories(Path.Combine(output, "plugins")))
        {
            var dll = Path.Combine(plugin, Path.GetFileName(plugin) + ".dll");
            Assert.True(IsReadyToRun(dll), $"{dll} is not ReadyToRun");
        }
    }

    /// <summary>Whether the assembly carries precompiled code: a ReadyToRun image has a managed native header.</summary>
    private static bool IsReadyToRun(string path)
    {
        using var reader = new PEReader(File.OpenRead(path));
        return reader.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
    }
}
