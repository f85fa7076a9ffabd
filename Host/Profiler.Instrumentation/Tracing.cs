using System.Text.Json.Nodes;

namespace Profiler.Instrumentation;

/// <summary>
/// Tracing through the ambient profiler (<see cref="TraceProfiler.Current"/>), like OSProfiler's module-level
/// <c>profiler.start/stop/Trace/trace</c>: without an ambient profiler nothing is recorded and the code just runs.
/// </summary>
public static class Tracing
{
    /// <summary>A scope of the ambient profiler, or <see cref="TraceScope.None"/> when there is none. See <see cref="TraceProfiler.Trace"/>.</summary>
    public static TraceScope Trace(string name, JsonObject? info = null) =>
        TraceProfiler.Current is { } p ? p.Trace(name, info) : TraceScope.None;

    /// <summary>Runs <paramref name="action"/> in a scope of the ambient profiler; an exception is recorded and rethrown.</summary>
    public static void Run(string name, JsonObject? info, Action action) => Run(TraceProfiler.Current, name, info, action);

    /// <summary>Runs <paramref name="func"/> in a scope of the ambient profiler; an exception is recorded and rethrown.</summary>
    public static T Run<T>(string name, JsonObject? info, Func<T> func) => Run(TraceProfiler.Current, name, info, func);

    /// <summary>Runs and awaits <paramref name="func"/> in a scope of the ambient profiler; an exception is recorded and rethrown.</summary>
    public static Task RunAsync(string name, JsonObject? info, Func<Task> func) => RunAsync(TraceProfiler.Current, name, info, func);

    /// <summary>Runs and awaits <paramref name="func"/> in a scope of the ambient profiler; an exception is recorded and rethrown.</summary>
    public static Task<T> RunAsync<T>(string name, JsonObject? info, Func<Task<T>> func) => RunAsync(TraceProfiler.Current, name, info, func);

    /// <summary>Runs and awaits <paramref name="func"/> in a scope of the ambient profiler; an exception is recorded and rethrown.</summary>
    public static ValueTask RunValueTaskAsync(string name, JsonObject? info, Func<ValueTask> func) =>
        RunValueTaskAsync(TraceProfiler.Current, name, info, func);

    /// <summary>Runs and awaits <paramref name="func"/> in a scope of the ambient profiler; an exception is recorded and rethrown.</summary>
    public static ValueTask<T> RunValueTaskAsync<T>(string name, JsonObject? info, Func<ValueTask<T>> func) =>
        RunValueTaskAsync(TraceProfiler.Current, name, info, func);

    /// <summary>
    /// Wraps <paramref name="target"/> so that every call through interface <typeparamref name="T"/> is traced as
    /// <paramref name="name"/> (OSProfiler's <c>trace_cls</c>), with the ambient profiler at call time. See
    /// <see cref="TraceMethodOptions"/> for the <c>info.function</c> shape.
    /// </summary>
    public static T TraceInterface<T>(T target, string name, TraceMethodOptions? options = null) where T : class =>
        TracingProxy<T>.Create(target, name, options ?? new TraceMethodOptions());

    internal static void Run(TraceProfiler? profiler, string name, JsonObject? info, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (profiler is null) { action(); return; }
        using var scope = profiler.Trace(name, info);
        try { action(); }
        catch (Exception e) when (scope.Fail(e)) { throw; }
    }

    internal static T Run<T>(TraceProfiler? profiler, string name, JsonObject? info, Func<T> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        if (profiler is null) return func();
        using var scope = profiler.Trace(name, info);
        try { return func(); }
        catch (Exception e) when (scope.Fail(e)) { throw; }
    }

    internal static async Task RunAsync(TraceProfiler? profiler, string name, JsonObject? info, Func<Task> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        if (profiler is null) { await func().ConfigureAwait(false); return; }
        using var scope = profiler.Trace(name, info);
        try { await func().ConfigureAwait(false); }
        catch (Exception e) when (scope.Fail(e)) { throw; }
    }

    internal static async Task<T> RunAsync<T>(TraceProfiler? profiler, string name, JsonObject? info, Func<Task<T>> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        if (profiler is null) return await func().ConfigureAwait(false);
        using var scope = profiler.Trace(name, info);
        try { return await func().ConfigureAwait(false); }
        catch (Exception e) when (scope.Fail(e)) { throw; }
    }

    internal static async ValueTask RunValueTaskAsync(TraceProfiler? profiler, string name, JsonObject? info, Func<ValueTask> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        if (profiler is null) { await func().ConfigureAwait(false); return; }
        using var scope = profiler.Trace(name, info);
        try { await func().ConfigureAwait(false); }
        catch (Exception e) when (scope.Fail(e)) { throw; }
    }

    internal static async ValueTask<T> RunValueTaskAsync<T>(TraceProfiler? profiler, string name, JsonObject? info, Func<ValueTask<T>> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        if (profiler is null) return await func().ConfigureAwait(false);
        using var scope = profiler.Trace(name, info);
        try { return await func().ConfigureAwait(false); }
        catch (Exception e) when (scope.Fail(e)) { throw; }
    }
}
