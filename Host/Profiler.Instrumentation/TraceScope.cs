using System.Text.Json.Nodes;

namespace Profiler.Instrumentation;

/// <summary>
/// One traced operation between its start point and its stop point. Disposing it sends the stop point (once;
/// later calls do nothing) and, for a nesting scope, makes the enclosing scope current again.
/// </summary>
/// <remarks>
/// A <c>using</c> block cannot see an exception passing through it, so a scope learns of a failure in one of
/// three honest ways: <see cref="Fail"/> called in an exception filter (<c>catch (Exception e) when
/// (scope.Fail(e)) { }</c>: the filter returns false, so nothing is caught and the stack is not unwound twice),
/// <see cref="Fail"/> called in a <c>catch</c> before rethrowing, or the <c>Run</c>/<c>RunAsync</c> helpers of
/// <see cref="TraceProfiler"/> and <see cref="Tracing"/>, which do the former. The stop point then carries
/// <c>info.etype</c> (the exception's full type name) and <c>info.message</c>, as OSProfiler's.
/// </remarks>
public sealed class TraceScope : IDisposable
{
    /// <summary>A scope that records nothing: what <see cref="Tracing.Trace"/> returns without an ambient profiler.</summary>
    public static readonly TraceScope None = new(null, "", "", "", null, null);

    private readonly TraceProfiler? _profiler;
    private readonly string _operation;
    private readonly TraceFrame? _frame;
    private readonly TraceFrame? _previous;
    private JsonObject? _stopInfo;
    private int _stopped;

    internal TraceScope(TraceProfiler? profiler, string operation, string traceId, string parentId, TraceFrame? frame, TraceFrame? previous)
    {
        _profiler = profiler;
        _operation = operation;
        TraceId = traceId;
        ParentId = parentId;
        _frame = frame;
        _previous = previous;
    }

    /// <summary>False for <see cref="None"/>.</summary>
    public bool IsRecording => _profiler is not null;

    /// <summary>The operation's trace id (empty for <see cref="None"/>).</summary>
    public string TraceId { get; }

    /// <summary>The operation's parent id (empty for <see cref="None"/>).</summary>
    public string ParentId { get; }

    /// <summary>The profiler that opened the scope (null for <see cref="None"/>).</summary>
    public TraceProfiler? Profiler => _profiler;

    /// <summary>
    /// Extra <c>info</c> for the stop point (OSProfiler's <c>stop(info=…)</c>), created on first use; <c>host</c> is
    /// added. Set it before disposing the scope.
    /// </summary>
    public JsonObject StopInfo => _stopInfo ??= new JsonObject();

    /// <summary>
    /// Records <paramref name="exception"/> on the stop point as <c>info.etype</c>/<c>info.message</c>. Always returns
    /// false, so it can be an exception filter that catches nothing: <c>catch (Exception e) when (scope.Fail(e)) { }</c>.
    /// </summary>
    public bool Fail(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (_profiler is null || Volatile.Read(ref _stopped) != 0) return false;
        var info = StopInfo;
        info["etype"] = exception.GetType().FullName ?? exception.GetType().Name;
        info["message"] = exception.Message;
        return false;
    }

    /// <summary>Sends the stop point (first call only) and restores the enclosing scope as current.</summary>
    public void Dispose()
    {
        if (_profiler is null || Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _profiler.Sink.TryWrite(new TraceEvent(_operation, false, _profiler.BaseId, TraceId, ParentId,
            DateTime.UtcNow.Ticks, _stopInfo, _profiler.Host));
        if (_frame is not null) TraceProfiler.Restore(_frame, _previous);
    }

    /// <summary>
    /// Makes the enclosing scope current again in this flow without stopping: for a scope whose operation goes on
    /// in a task that the caller does not await here (the stop is sent later, from the task's continuation).
    /// </summary>
    internal void Detach()
    {
        if (_frame is not null) TraceProfiler.Restore(_frame, _previous);
    }
}
