using MediatR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Profiler.Application;
using Profiler.Instrumentation;

// In the namespace of the type it extends, as Microsoft.Extensions' own Add… methods: no extra using in Program.cs.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wiring for .NET services that produce traces.</summary>
public static class ProfilerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the instrumentation: <see cref="ProfilerOptions"/> read from <paramref name="configuration"/> (the
    /// <c>Profiler</c> section, or an INI file's <c>[profiler]</c>/<c>[osprofiler]</c> section added with
    /// <c>AddIniFile</c>) then adjusted by <paramref name="configure"/>; the application's use cases; a
    /// <see cref="TraceNotifier"/> (also the <see cref="ITraceEventSink"/>); a hosted service that flushes at shutdown;
    /// and <see cref="ProfilerHttpMessageHandler"/>. Bad values throw <see cref="FormatException"/>/<see cref="ArgumentException"/>
    /// naming the key and value.
    /// </summary>
    public static IServiceCollection AddProfiler(this IServiceCollection services, IConfiguration configuration,
        Action<ProfilerOptions>? configure = null)
    {
        var options = ProfilerOptions.FromConfiguration(configuration);
        configure?.Invoke(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddApplicationServices();
        services.TryAddSingleton(sp => new TraceNotifier(sp.GetRequiredService<IMediator>(), options.ToNotifierOptions(),
            sp.GetService<ILogger<TraceNotifier>>()));
        services.TryAddSingleton<ITraceEventSink>(sp => sp.GetRequiredService<TraceNotifier>());
        services.AddHostedService<ProfilerHostedService>();
        services.TryAddTransient<ProfilerHttpMessageHandler>();
        return services;
    }

    /// <summary>Traces this client's calls and signs trace headers onto them (<see cref="ProfilerHttpMessageHandler"/>).</summary>
    public static IHttpClientBuilder AddProfilerHandler(this IHttpClientBuilder builder) =>
        builder.AddHttpMessageHandler<ProfilerHttpMessageHandler>();
}
