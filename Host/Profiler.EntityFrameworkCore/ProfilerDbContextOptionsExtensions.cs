using Profiler.EntityFrameworkCore;

// In the namespace of the type it extends, as EF Core's own Use…/Add… methods: no extra using where a context is configured.
namespace Microsoft.EntityFrameworkCore;

/// <summary>Traces an EF Core context's commands.</summary>
public static class ProfilerDbContextOptionsExtensions
{
    /// <summary>Traces this context's commands as <c>db</c> points (<see cref="ProfilerDbCommandInterceptor"/>).</summary>
    public static DbContextOptionsBuilder AddProfilerInterceptor(this DbContextOptionsBuilder builder, bool includeParameterValues = true) =>
        builder.AddInterceptors(new ProfilerDbCommandInterceptor(includeParameterValues));

    /// <summary>Traces this context's commands as <c>db</c> points (<see cref="ProfilerDbCommandInterceptor"/>).</summary>
    public static DbContextOptionsBuilder<TContext> AddProfilerInterceptor<TContext>(this DbContextOptionsBuilder<TContext> builder,
        bool includeParameterValues = true) where TContext : DbContext =>
        builder.AddInterceptors(new ProfilerDbCommandInterceptor(includeParameterValues));
}
