using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Profiler.Application;
using Profiler.Storage;
using Profiler.Hosting.Plugins;

namespace Profiler.Hosting;

public static class DependencyInjection
{
    /// <summary>
    /// Registers the plugin catalog (loaded from <paramref name="pluginFolders"/>, default
    /// <see cref="PluginCatalog.DefaultFolders"/>), the store factory, the application's use cases, and an
    /// <see cref="ITraceStore"/> opened from <paramref name="connectionString"/> on first use.
    /// </summary>
    public static IServiceCollection AddTraceStore(this IServiceCollection services, string connectionString,
        DriverSettings? settings = null, IReadOnlyList<string>? pluginFolders = null)
    {
        services.TryAddSingleton(sp => PluginCatalog.Load(pluginFolders ?? PluginCatalog.DefaultFolders(),
            sp.GetService<ILoggerFactory>()?.CreateLogger("Profiler.Plugins")));
        services.TryAddSingleton(sp => new TraceStoreFactory(sp.GetRequiredService<PluginCatalog>(),
            sp.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));
        services.TryAddSingleton(sp => sp.GetRequiredService<TraceStoreFactory>().Open(connectionString, settings));
        services.AddApplicationServices();
        return services;
    }
}
