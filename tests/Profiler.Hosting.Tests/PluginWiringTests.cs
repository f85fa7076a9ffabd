using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Profiler.Hosting.Plugins;
using Profiler.Hosting.Tests.Web;
using Profiler.Infrastructure.Sql;
using Profiler.Instrumentation.Stores;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Hosting.Tests;

/// <summary>
/// Profiler.Hosting's plugins feed the same scheme resolution as drivers an app registers: <c>AddProfiler</c>'s
/// connection string may name a plugin's scheme, a registered driver comes first, and an explicit
/// <c>AddTraceStore</c> replaces the store <c>AddProfiler</c> would open.
/// </summary>
public sealed class PluginWiringTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Database => $"sqlite:///{_dir.Path}/traces.db";

    private static IConfiguration Profiler(string connectionString) => new ConfigurationBuilder().AddInMemoryCollection(
        new Dictionary<string, string?> { ["Profiler:Enabled"] = "true", ["Profiler:ConnectionString"] = connectionString }).Build();

    private static IHost Build(Action<IServiceCollection> services)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        services(builder.Services);
        return builder.Build();
    }

    [Fact]
    public async Task The_profilers_connection_string_is_served_by_a_plugin_when_no_driver_is_registered()
    {
        using var host = Build(s => s.AddProfiler(Profiler(Database)).AddTraceStorePlugins([ShellServer.PluginFolder]));
        await host.StartAsync();
        var entry = host.Services.GetRequiredService<TraceStoreOpener>().Find("sqlite")!;
        Assert.StartsWith("of plugin 'Profiler.Infrastructure.Sql'", entry.Origin);
        Assert.NotNull(host.Services.GetRequiredService<ITraceStore>());
        await host.StopAsync();
    }

    [Fact]
    public async Task A_registered_driver_serves_its_scheme_before_a_plugin_does()
    {
        using var host = Build(s => s.AddProfiler(Profiler(Database)).AddTraceStorePlugins([ShellServer.PluginFolder])
            .AddTraceStoreDriver<SqliteDriver>());
        await host.StartAsync();
        var entry = host.Services.GetRequiredService<TraceStoreOpener>().Find("sqlite")!;
        Assert.Equal("registered with AddTraceStoreDriver", entry.Origin);
        Assert.IsType<SqliteDriver>(entry.Driver);
        await host.StopAsync();
    }

    [Fact]
    public async Task An_unknown_scheme_fails_the_start_naming_the_plugin_schemes_and_the_folders_searched()
    {
        using var host = Build(s => s.AddProfiler(Profiler("nodriver:///x")).AddTraceStorePlugins([ShellServer.PluginFolder]));
        var e = await Assert.ThrowsAsync<UnknownSchemeException>(() => host.StartAsync());
        Assert.Contains("scheme 'nodriver'", e.Message);
        Assert.Contains("redis", e.Message);
        Assert.Contains("sqlite", e.Message);
        Assert.Contains("AddTraceStoreDriver<", e.Message);
        Assert.Contains("Plugin folders searched: " + ShellServer.PluginFolder, e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddTraceStore_replaces_the_store_AddProfiler_would_open_in_either_order(bool profilerFirst)
    {
        using var host = Build(s =>
        {
            if (profilerFirst) s.AddProfiler(Profiler("nodriver:///x"));
            s.AddTraceStore(Database, pluginFolders: [ShellServer.PluginFolder]);
            if (!profilerFirst) s.AddProfiler(Profiler("nodriver:///x"));
        });
        await host.StartAsync();
        var store = Assert.Single(host.Services.GetServices<ITraceStore>());
        // The SQLite store of AddTraceStore answers (and creates its file); AddProfiler's 'nodriver' was never opened.
        Assert.Empty((await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None)).Traces);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "traces.db")));
        await host.StopAsync();
    }

    [Fact]
    public void The_store_factory_the_cli_uses_opens_through_the_same_resolution()
    {
        var catalog = PluginCatalog.Load([ShellServer.PluginFolder]);
        var factory = new TraceStoreFactory(catalog, NullLoggerFactory.Instance);
        var e = Assert.Throws<UnknownSchemeException>(() => factory.Open("nodriver://:hunter22@h/x"));
        Assert.Contains("Known schemes: ", e.Message);
        Assert.Contains("Plugin folders searched", e.Message);
        Assert.DoesNotContain("hunter22", e.Message);
        Assert.StartsWith("of plugin", factory.Opener.Find("redis")!.Origin);
    }
}
