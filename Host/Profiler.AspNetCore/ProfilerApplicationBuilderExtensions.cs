using Profiler.AspNetCore;

// In the namespace of the type it extends, as ASP.NET Core's own Use… methods: no extra using in Program.cs.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds the profiler's request middleware to an ASP.NET Core pipeline.</summary>
public static class ProfilerApplicationBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="ProfilerMiddleware"/>: requests carrying a valid signed trace header continue the caller's trace.
    /// Put it early, so the whole request is traced. Needs <c>services.AddProfiler(…)</c>.
    /// </summary>
    public static IApplicationBuilder UseProfiler(this IApplicationBuilder app) => app.UseMiddleware<ProfilerMiddleware>();
}
