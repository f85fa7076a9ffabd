using MediatR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Profiler.Application;
using Profiler.Instrumentation;
using Profiler.Instrumentation.Stores;
using Profiler.Storage;

// In the namespace of the type it extends, as Microsoft.Extensions' own Add… methods: no extra using in Program.cs.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wiring for .NET services that produce traces.</summary>
public static class ProfilerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the instrumentation with <see cref="ProfilerOptions"/> bound from <paramref name="configuration"/>'s
    /// <c>Profiler</c> section (PascalCase keys) or an INI file's <c>[profiler]</c>/<c>[osprofiler]</c> section
    /// (OSProfiler's keys), then adjusted by <paramref name="configure"/> (default: none). See
    /// <see cref="AddProfiler(IServiceCollection, Action{ProfilerOptions})"/> for what is registered.
    /// </summary>
    public static IServiceCollection AddProfiler(this IServiceCollection services, IConfiguration configuration,
        Action<ProfilerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddOptions<ProfilerOptions>().Configure(o => o.Bind(configuration, o.ConfigurationErrors));
        if (configure is not null) builder.Configure(configure);
        return services.AddProfilerServices();
    }

    /// <summary>
    /// Registers the instrumentation with <see cref="ProfilerOptions"/> set by <paramref name="configure"/> (also
    /// adjustable later with <c>services.Configure&lt;ProfilerOptions&gt;(…)</c>):
    /// <list type="bullet">
    /// <item><c>IOptions&lt;ProfilerOptions&gt;</c>, checked by <see cref="ProfilerOptionsValidator"/> when the host starts
    /// (every bad value in one <see cref="OptionsValidationException"/> naming key and value);</item>
    /// <item>the application's use cases, a <see cref="TraceNotifier"/> (also the <see cref="ITraceEventSink"/>) and
    /// <see cref="ProfilerHttpMessageHandler"/>;</item>
    /// <item>an <see cref="ITraceStore"/> opened from <see cref="ProfilerOptions.ConnectionString"/> with
    /// <see cref="ProfilerOptions.ToDriverSettings"/>, by the driver serving its scheme among those registered with
    /// <see cref="AddTraceStoreDriver{TDriver}"/> and the <see cref="ITraceStoreDriverSource"/>s (e.g. Profiler.Hosting's
    /// plugins). An <see cref="ITraceStore"/> the application registers itself wins;</item>
    /// <item>a hosted service that, when <see cref="ProfilerOptions.Enabled"/>, opens the store as the host starts (so
    /// an unknown scheme or a missing connection string fails the start, naming what to do), makes the notifier
    /// <see cref="TraceProfiler.DefaultSink"/>, and flushes buffered points at shutdown. When not enabled nothing is opened.</item>
    /// </list>
    /// </summary>
    public static IServiceCollection AddProfiler(this IServiceCollection services, Action<ProfilerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<ProfilerOptions>().Configure(configure);
        return services.AddProfilerServices();
    }

    /// <summary>
    /// Registers <typeparamref name="TDriver"/> as a storage driver: a store whose connection string's scheme is one of
    /// its <see cref="ITraceStoreDriver.Schemes"/> is opened with it, without a plugin folder. Drivers registered this
    /// way are chosen before plugins; the first registered for a scheme serves it.
    /// </summary>
    public static IServiceCollection AddTraceStoreDriver<TDriver>(this IServiceCollection services)
        where TDriver : class, ITraceStoreDriver
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITraceStoreDriver, TDriver>());
        return services.AddTraceStoreOpener();
    }

    /// <summary>Registers <paramref name="driver"/> as a storage driver (see <see cref="AddTraceStoreDriver{TDriver}"/>).</summary>
    public static IServiceCollection AddTraceStoreDriver(this IServiceCollection services, ITraceStoreDriver driver)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(driver);
        services.AddSingleton(driver);
        return services.AddTraceStoreOpener();
    }

    /// <summary>Traces this client's calls and signs trace headers onto them (<see cref="ProfilerHttpMessageHandler"/>).</summary>
    public static IHttpClientBuilder AddProfilerHandler(this IHttpClientBuilder builder) =>
        builder.AddHttpMessageHandler<ProfilerHttpMessageHandler>();

    /// <summary>
    /// Registers the <see cref="TraceStoreOpener"/> (once): it resolves schemes among the registered
    /// <see cref="ITraceStoreDriver"/>s, then the <see cref="ITraceStoreDriverSource"/>s.
    /// </summary>
    public static IServiceCollection AddTraceStoreOpener(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => new TraceStoreOpener(sp.GetServices<ITraceStoreDriver>(),
            sp.GetServices<ITraceStoreDriverSource>(), sp.GetService<ILoggerFactory>()));
        return services;
    }

    private static IServiceCollection AddProfilerServices(this IServiceCollection services)
    {
        services.AddOptions<ProfilerOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProfilerOptions>, ProfilerOptionsValidator>());
        services.AddApplicationServices();
        services.AddTraceStoreOpener();
        services.TryAddSingleton<ITraceStore>(ProfilerStore.Open);
        services.TryAddSingleton(sp => new TraceNotifier(sp.GetRequiredService<IMediator>(),
            sp.GetRequiredService<IOptions<ProfilerOptions>>().Value.ToNotifierOptions(), sp.GetService<ILogger<TraceNotifier>>()));
        services.TryAddSingleton<ITraceEventSink>(sp => sp.GetRequiredService<TraceNotifier>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ProfilerHostedService>());
        services.TryAddTransient<ProfilerHttpMessageHandler>();
        return services;
    }
}
