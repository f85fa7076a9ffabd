using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Profiler.Application;
using Profiler.Hosting.Plugins;
using Profiler.Instrumentation.Stores;
using Profiler.Storage;

namespace Profiler.Hosting;

/// <summary>Wiring of the plugin catalog and of stores opened by plugin drivers.</summary>
public static class DependencyInjection
{
    /// <summary>
    /// Makes the drivers of the plugins in <paramref name="pluginFolders"/> (default
    /// <see cref="PluginCatalog.DefaultFolders"/>) take part in resolving a connection string's scheme, after drivers
    /// registered with <c>AddTraceStoreDriver</c>: registers the <see cref="PluginCatalog"/> (loaded on first use) as an
    /// <see cref="ITraceStoreDriverSource"/>. With <c>AddProfiler</c>, the profiler's <c>connection_string</c> may then
    /// name a plugin's scheme. The first call's folders win.
    /// </summary>
    public static IServiceCollection AddTraceStorePlugins(this IServiceCollection services, IReadOnlyList<string>? pluginFolders = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => PluginCatalog.Load(pluginFolders ?? PluginCatalog.DefaultFolders(),
            sp.GetService<ILoggerFactory>()?.CreateLogger("Profiler.Plugins")));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITraceStoreDriverSource, PluginDriverSource>());
        services.AddTraceStoreOpener();
        services.TryAddSingleton(sp => new TraceStoreFactory(sp.GetRequiredService<PluginCatalog>(), sp.GetRequiredService<TraceStoreOpener>()));
        return services;
    }

    /// <summary>
    /// Registers the plugin catalog (<see cref="AddTraceStorePlugins"/>), the store factory, the application's use
    /// cases, and an <see cref="ITraceStore"/> opened from <paramref name="connectionString"/> with
    /// <paramref name="settings"/> (default: the driver defaults) on first use. This store replaces the one
    /// <c>AddProfiler</c> would open from its options, whichever was called first; an <see cref="ITraceStore"/>
    /// registered otherwise before this call wins.
    /// </summary>
    public static IServiceCollection AddTraceStore(this IServiceCollection services, string connectionString,
        DriverSettings? settings = null, IReadOnlyList<string>? pluginFolders = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(connectionString);
        services.AddTraceStorePlugins(pluginFolders);
        for (var i = services.Count - 1; i >= 0; i--)
            if (ProfilerStore.IsDefault(services[i])) services.RemoveAt(i);
        services.TryAddSingleton(sp => sp.GetRequiredService<TraceStoreFactory>().Open(connectionString, settings));
        services.AddApplicationServices();
        return services;
    }
}
