using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Profiler.Storage;

namespace Profiler.Instrumentation.Stores;

/// <summary>The <see cref="ITraceStore"/> <c>AddProfiler</c> registers: the one opened from <see cref="ProfilerOptions.ConnectionString"/>.</summary>
internal static class ProfilerStore
{
    /// <summary>
    /// Opens the store of <see cref="ProfilerOptions.ConnectionString"/> with <see cref="ProfilerOptions.ToDriverSettings"/>
    /// (the one configuration path from <c>[profiler]</c> keys to the driver).
    /// </summary>
    public static ITraceStore Open(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ProfilerOptions>>().Value;
        if (string.IsNullOrEmpty(options.ConnectionString))
            throw new InvalidOperationException(
                "The profiler has no ITraceStore to send trace points to: set its connection_string (Profiler:ConnectionString, "
                + "or connection_string in an INI file's [profiler] section) and register the driver for its scheme "
                + "(services.AddTraceStoreDriver<TDriver>() or a plugin in plugins/<Name>/), or register an ITraceStore yourself "
                + "(e.g. Profiler.Hosting's services.AddTraceStore(connectionString)).");
        var loggerFactory = services.GetService<ILoggerFactory>();
        return services.GetRequiredService<TraceStoreOpener>().Open(options.ConnectionString, options.ToDriverSettings(loggerFactory));
    }

    /// <summary>Whether <paramref name="descriptor"/> is the registration <c>AddProfiler</c> made (which an explicit store replaces).</summary>
    public static bool IsDefault(ServiceDescriptor descriptor) =>
        descriptor.ServiceType == typeof(ITraceStore) && !descriptor.IsKeyedService
        && descriptor.ImplementationFactory?.Method == typeof(ProfilerStore).GetMethod(nameof(Open));
}
