using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json.Nodes;

namespace Profiler.Instrumentation;

/// <summary>
/// How <see cref="Tracing.TraceInterface{T}"/> traces methods. The start point's info is
/// <c>{"function": {"name": "Namespace.IType.Method", "args": "(1, 'x')", "kwargs": "{}"}}</c> merged into
/// <see cref="Info"/>, as OSProfiler's <c>trace</c>/<c>trace_cls</c> (.NET has no keyword arguments, so
/// <c>kwargs</c> is always <c>{}</c>).
/// </summary>
public sealed class TraceMethodOptions
{
    /// <summary>Leave <c>args</c>/<c>kwargs</c> out (e.g. arguments hold passwords). Default false.</summary>
    public bool HideArgs { get; init; }

    /// <summary>
    /// Hide the result. Default true (as OSProfiler); when false the stop point carries
    /// <c>{"function": {"result": "…"}}</c>, for a task its awaited result.
    /// </summary>
    public bool HideResult { get; init; } = true;

    /// <summary>Extra info copied into every start point. Default none.</summary>
    public JsonObject? Info { get; init; }

    /// <summary>
    /// Longest text kept for one argument or result, 0 or more; longer ones are cut with <c>…</c> (never between the two
    /// halves of a surrogate pair). Default 1000. A negative value makes <see cref="Tracing.TraceInterface{T}"/> throw
    /// an <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public int MaxValueLength { get; init; } = 1000;
}

/// <summary>The <see cref="DispatchProxy"/> behind <see cref="Tracing.TraceInterface{T}"/> (not sealed: DispatchProxy derives from it).</summary>
public class TracingProxy<T> : DispatchProxy where T : class
{
    private static readonly ConcurrentDictionary<Type, MethodInfo> TaskAwaiters = new();
    private static readonly ConcurrentDictionary<Type, MethodInfo> ValueTaskAwaiters = new();
    private T _target = null!;
    private string _name = "";
    private TraceMethodOptions _options = null!;

    internal static T Create(T target, string name, TraceMethodOptions options)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        if (!typeof(T).IsInterface)
            throw new InvalidOperationException($"TraceInterface needs an interface type, got {typeof(T).FullName}");
        if (options.MaxValueLength < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxValueLength,
                $"TraceMethodOptions.MaxValueLength = {options.MaxValueLength} is out of range: use 0 or more (default 1000).");
        var proxy = Create<T, TracingProxy<T>>();
        var self = (TracingProxy<T>)(object)proxy;
        self._target = target;
        self._name = name;
        self._options = options;
        return proxy;
    }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var profiler = TraceProfiler.Current;
        if (profiler is null)
            return targetMethod.Invoke(_target, BindingFlags.DoNotWrapExceptions, null, args, null);

        var scope = profiler.Trace(_name, StartInfo(targetMethod, args));
        object? result;
        try
        {
            result = targetMethod.Invoke(_target, BindingFlags.DoNotWrapExceptions, null, args, null);
        }
        catch (Exception e)
        {
            scope.Fail(e);
            scope.Dispose();
            ExceptionDispatchInfo.Capture(e).Throw();
            throw;
        }

        var returnType = targetMethod.ReturnType;
        if (result is Task task)
        {
            scope.Detach();
            if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
            {
                var awaiter = TaskAwaiters.GetOrAdd(returnType.GetGenericArguments()[0], t =>
                    typeof(TracingProxy<T>).GetMethod(nameof(AwaitTaskOf), BindingFlags.NonPublic | BindingFlags.Instance)!.MakeGenericMethod(t));
                return awaiter.Invoke(this, [task, scope]);
            }
            return AwaitTask(task, scope);
        }
        if (returnType == typeof(ValueTask))
        {
            scope.Detach();
            // The proxy returns the caller's ValueTask boxed, as DispatchProxy requires; the caller awaits it once.
#pragma warning disable CA2012
            return AwaitValueTask((ValueTask)result!, scope);
#pragma warning restore CA2012
        }
        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            scope.Detach();
            var awaiter = ValueTaskAwaiters.GetOrAdd(returnType.GetGenericArguments()[0], t =>
                typeof(TracingProxy<T>).GetMethod(nameof(AwaitValueTaskOf), BindingFlags.NonPublic | BindingFlags.Instance)!.MakeGenericMethod(t));
            return awaiter.Invoke(this, [result, scope]);
        }
        if (!_options.HideResult && returnType != typeof(void)) SetResult(scope, result);
        scope.Dispose();
        return result;
    }

    /// <summary>
    /// The start point's info. Formatting runs on the caller's thread, so nothing in it may throw into the call: an
    /// argument whose <c>ToString</c> throws is shown as <c>&lt;unformattable Type&gt;</c> (<see cref="Format"/>), and
    /// <see cref="TraceMethodOptions.Info"/> that cannot be copied is left out.
    /// </summary>
    private JsonObject StartInfo(MethodInfo method, object?[]? args)
    {
        JsonObject info;
        try { info = _options.Info?.DeepClone() as JsonObject ?? new JsonObject(); }
        catch (Exception e) when (e is not OutOfMemoryException) { info = new JsonObject(); }
        var function = new JsonObject { ["name"] = $"{method.DeclaringType?.FullName}.{method.Name}" };
        if (!_options.HideArgs)
        {
            function["args"] = FormatArgs(args);
            function["kwargs"] = "{}";
        }
        info["function"] = function;
        return info;
    }

    private static async Task AwaitTask(Task task, TraceScope scope)
    {
        try { await task.ConfigureAwait(false); }
        catch (Exception e) when (scope.Fail(e)) { throw; }
        finally { scope.Dispose(); }
    }

    private async Task<TResult> AwaitTaskOf<TResult>(Task task, TraceScope scope)
    {
        try
        {
            var value = await ((Task<TResult>)task).ConfigureAwait(false);
            if (!_options.HideResult) SetResult(scope, value);
            return value;
        }
        catch (Exception e) when (scope.Fail(e)) { throw; }
        finally { scope.Dispose(); }
    }

    private static async ValueTask AwaitValueTask(ValueTask task, TraceScope scope)
    {
        try { await task.ConfigureAwait(false); }
        catch (Exception e) when (scope.Fail(e)) { throw; }
        finally { scope.Dispose(); }
    }

    private async ValueTask<TResult> AwaitValueTaskOf<TResult>(ValueTask<TResult> task, TraceScope scope)
    {
        try
        {
            var value = await task.ConfigureAwait(false);
            if (!_options.HideResult) SetResult(scope, value);
            return value;
        }
        catch (Exception e) when (scope.Fail(e)) { throw; }
        finally { scope.Dispose(); }
    }

    private void SetResult(TraceScope scope, object? value) =>
        scope.StopInfo["function"] = new JsonObject { ["result"] = Format(value) };

    private string FormatArgs(object?[]? args)
    {
        if (args is null || args.Length == 0) return "()";
        var text = new StringBuilder("(");
        for (var i = 0; i < args.Length; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(Format(args[i]));
        }
        return text.Append(')').ToString();
    }

    /// <summary>
    /// The value as text, at most <see cref="TraceMethodOptions.MaxValueLength"/> characters (then <c>…</c>), never
    /// ending in half a surrogate pair. Never throws: a <c>ToString</c> that throws gives <c>&lt;unformattable Type&gt;</c>.
    /// </summary>
    private string Format(object? value)
    {
        string text;
        try
        {
            text = value switch
            {
                null => "null",
                string s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'",
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture) ?? "",
                _ => value.ToString() ?? "",
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"<unformattable {value!.GetType().FullName}>";
        }
        var max = _options.MaxValueLength;
        if (text.Length <= max) return text;
        // Cut before a high surrogate whose low half would be cut off: the text stays valid UTF-16.
        if (max > 0 && char.IsHighSurrogate(text[max - 1]) && char.IsLowSurrogate(text[max])) max--;
        return string.Concat(text.AsSpan(0, max), "…");
    }
}
