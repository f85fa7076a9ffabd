using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Profiler.Application;
using Profiler.Application.Profiling;

namespace Profiler.Hosting.Instrumentation;

/// <summary>Wiring for .NET services that produce traces.</summary>
public static class InstrumentationExtensions
{
    /// <summary>
    /// Registers the instrumentation: <see cref="ProfilerOptions"/> read from <paramref name="configuration"/> (the
    /// <c>Profiler</c> section, or an INI file's <c>[profiler]</c>/<c>[osprofiler]</c> section added with
    /// <c>AddIniFile</c>) then adjusted by <paramref name="configure"/>; the application's use cases; a
    /// <see cref="TraceNotifier"/> (also the <see cref="ITraceEventSink"/>); a hosted service that flushes at shutdown;
    /// <see cref="ProfilerHttpMessageHandler"/> and <see cref="ProfilerDbCommandInterceptor"/>. It does not choose a
    /// store: register an <c>ITraceStore</c> (e.g. <c>AddTraceStore(options.ConnectionString)</c>). Bad values throw
    /// <see cref="FormatException"/>/<see cref="ArgumentException"/> naming the key and value.
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
        services.TryAddSingleton<ProfilerDbCommandInterceptor>();
        return services;
    }

    /// <summary>Adds <see cref="ProfilerMiddleware"/>: put it early, so the whole request is traced.</summary>
    public static IApplicationBuilder UseProfiler(this IApplicationBuilder app) => app.UseMiddleware<ProfilerMiddleware>();

    /// <summary>Traces this client's calls and signs trace headers onto them (<see cref="ProfilerHttpMessageHandler"/>).</summary>
    public static IHttpClientBuilder AddProfilerHandler(this IHttpClientBuilder builder) =>
        builder.AddHttpMessageHandler<ProfilerHttpMessageHandler>();

    /// <summary>Traces this context's commands as <c>db</c> points (<see cref="ProfilerDbCommandInterceptor"/>).</summary>
    public static DbContextOptionsBuilder AddProfilerInterceptor(this DbContextOptionsBuilder builder, bool includeParameterValues = true) =>
        builder.AddInterceptors(new ProfilerDbCommandInterceptor(includeParameterValues));

    /// <summary>Traces this context's commands as <c>db</c> points (<see cref="ProfilerDbCommandInterceptor"/>).</summary>
    public static DbContextOptionsBuilder<TContext> AddProfilerInterceptor<TContext>(this DbContextOptionsBuilder<TContext> builder,
        bool includeParameterValues = true) where TContext : DbContext =>
        builder.AddInterceptors(new ProfilerDbCommandInterceptor(includeParameterValues));
}
