using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary>
/// A small plugin written for the plugin-loading tests, built once into a temporary folder: <c>ProbeDriver</c> claims the
/// schemes <c>probe</c> and <c>sqlite</c> (so that it competes with the built-in driver), logs at debug and information
/// when it opens a store, and depends on a library of its own, <c>ProbeHelper</c>, so that a copy without that library
/// is a plugin with a missing dependency. Its store lists one trace whose base id names the plugin folder it was
/// loaded from (<c>from-&lt;folder&gt;</c>), which tells the copies apart.
/// </summary>
public sealed class ProbePlugin : IDisposable
{
    public const string DebugMessage = "probe-debug: opening the probe store";
    public const string InformationMessage = "probe-information: the probe store is open";

    private readonly TempDirectory _dir = new("profiler-probe-plugin-");

    public ProbePlugin()
    {
        var abstractions = Path.Combine(Fixtures.RepositoryRoot, "Application", "Profiler.Storage.Abstractions", "Profiler.Storage.Abstractions.csproj");
        var helper = Path.Combine(_dir.Path, "src", "ProbeHelper");
        var driver = Path.Combine(_dir.Path, "src", "ProbeDriver");
        Directory.CreateDirectory(helper);
        Directory.CreateDirectory(driver);
        File.WriteAllText(Path.Combine(helper, "ProbeHelper.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(helper, "Helper.cs"), """
            namespace ProbeHelper;
            public static class Helper
            {
                public static string From(string assemblyPath) => "from-" + Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(assemblyPath)));
            }
            """);
        File.WriteAllText(Path.Combine(driver, "ProbeDriver.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings>
                <EnableDynamicLoading>true</EnableDynamicLoading>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{abstractions}"><Private>false</Private><ExcludeAssets>runtime</ExcludeAssets></ProjectReference>
                <ProjectReference Include="../ProbeHelper/ProbeHelper.csproj" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(driver, "ProbeDriver.cs"), $$"""
            using Microsoft.Extensions.Logging;
            using Profiler.Domain;
            using Profiler.Storage;

            namespace ProbeDriver;

            public sealed class ProbeDriver : ITraceStoreDriver
            {
                public string Name => "probe";
                public IReadOnlyList<string> Schemes { get; } = ["probe", "sqlite"];

                public ITraceStore Open(ConnectionString connectionString, DriverSettings settings)
                {
                    var logger = settings.LoggerFactory.CreateLogger("ProbeDriver");
                    logger.Log(LogLevel.Debug, "{{DebugMessage}}");
                    logger.Log(LogLevel.Information, "{{InformationMessage}}");
                    return new ProbeStore(ProbeHelper.Helper.From(typeof(ProbeDriver).Assembly.Location));
                }
            }

            internal sealed class ProbeStore(string baseId) : ITraceStore
            {
                public Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken) => Task.CompletedTask;

                public async IAsyncEnumerable<StoredPoint> ReadTraceAsync(string id, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
                {
                    await Task.Yield();
                    yield break;
                }

                public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) =>
                    Task.FromResult(new TracePage([new TraceSummary(baseId, "2026-01-01T00:00:00", new Dictionary<string, string?>())], null));

                public ValueTask DisposeAsync() => ValueTask.CompletedTask;
            }
            """);
        Published = Path.Combine(_dir.Path, "published", "ProbeDriver");
        ServerProcess.Run("dotnet", ["publish", Path.Combine(driver, "ProbeDriver.csproj"), "-c", "Release", "-o", Published, "-nologo", "-v", "quiet"],
            timeout: TimeSpan.FromMinutes(5));
        if (!File.Exists(Path.Combine(Published, "ProbeHelper.dll")))
            throw new InvalidOperationException($"publishing the probe plugin produced no ProbeHelper.dll in {Published}");
    }

    /// <summary>The published plugin folder (<c>…/ProbeDriver/ProbeDriver.dll</c> beside <c>ProbeHelper.dll</c>).</summary>
    public string Published { get; }

    /// <summary>Copies the plugin into <c>&lt;pluginsFolder&gt;/ProbeDriver/</c>; returns <paramref name="pluginsFolder"/>.</summary>
    public string InstallInto(string pluginsFolder)
    {
        var target = Path.Combine(pluginsFolder, "ProbeDriver");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Published)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        return pluginsFolder;
    }

    public void Dispose() => _dir.Dispose();
}
