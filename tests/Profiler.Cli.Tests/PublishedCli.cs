using System.Diagnostics;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary>The result of one CLI run.</summary>
public sealed record CliResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string All => StandardOutput + StandardError;
}

/// <summary>
/// <c>dotnet publish Host/Profiler.Cli -o DIR</c>, once for the test run, in the configuration these tests were
/// built in (the CLI is built first through a project reference; publishing does not rebuild it).
/// </summary>
public sealed class PublishedCli : IDisposable
{
    private readonly TempDirectory _dir = new("profiler-cli-");

    public PublishedCli()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        Directory = Path.Combine(_dir.Path, "publish");
        ServerProcess.Run("dotnet", ["publish", Path.Combine(Fixtures.RepositoryRoot, "Host", "Profiler.Cli", "Profiler.Cli.csproj"),
            "-c", configuration, "--no-build", "-o", Directory, "-nologo", "-v", "quiet"], timeout: TimeSpan.FromMinutes(5));
        Executable = Path.Combine(Directory, "profiler");
        if (!File.Exists(Executable)) throw new InvalidOperationException($"publish produced no {Executable}");
    }

    public string Directory { get; }
    public string Executable { get; }

    /// <summary>Runs <c>profiler</c> with a clean environment: no connection string variable, a private home.</summary>
    public CliResult Run(string workingDirectory, params string[] args) => Run(workingDirectory, null, args);

    public CliResult Run(string workingDirectory, IDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("OSPROFILER_CONNECTION_STRING");
        info.Environment.Remove("PROFILER_PLUGINS_PATH");
        info.Environment["HOME"] = workingDirectory;
        info.Environment["XDG_DATA_HOME"] = Path.Combine(workingDirectory, ".data");
        if (environment is not null)
            foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(true);
            throw new TimeoutException($"profiler {string.Join(' ', args)} did not finish");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose() => _dir.Dispose();
}

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<PublishedCli>
{
    public const string Name = "published cli";
}
