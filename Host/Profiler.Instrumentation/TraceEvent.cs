using System.Text.Json.Nodes;
using Profiler.Domain;

namespace Profiler.Instrumentation;

/// <summary>
/// One start or stop notification as the profiler hands it to a sink, before it becomes a
/// <see cref="TracePoint"/>. It holds the raw clock reading and the operation name so the caller's thread does no
/// formatting; <see cref="ToTracePoint"/> (run by the notifier's background batcher) builds the stored point.
/// </summary>
public readonly struct TraceEvent
{
    /// <summary>Creates an event; <paramref name="info"/> becomes the point's <c>info</c> (the profiler owns it from then on).</summary>
    public TraceEvent(string operation, bool isStart, string baseId, string traceId, string parentId,
        long utcTicks, JsonObject? info, string host)
    {
        Operation = operation;
        IsStart = isStart;
        BaseId = baseId;
        TraceId = traceId;
        ParentId = parentId;
        UtcTicks = utcTicks;
        Info = info;
        Host = host;
    }

    /// <summary>The operation name without suffix, e.g. <c>db</c>.</summary>
    public string Operation { get; }

    /// <summary>True for <c>&lt;operation&gt;-start</c>, false for <c>&lt;operation&gt;-stop</c>.</summary>
    public bool IsStart { get; }

    /// <summary>The trace's base id.</summary>
    public string BaseId { get; }

    /// <summary>The operation's id (shared by its start and stop).</summary>
    public string TraceId { get; }

    /// <summary>The enclosing operation's id, or the base id at the top.</summary>
    public string ParentId { get; }

    /// <summary>UTC time of the event in <see cref="DateTime.Ticks"/>.</summary>
    public long UtcTicks { get; }

    /// <summary>Extra details (null for none); <c>host</c> is added when the point is built.</summary>
    public JsonObject? Info { get; }

    /// <summary>The host name put into <c>info.host</c>.</summary>
    public string Host { get; }

    /// <summary>The point name: <c>&lt;operation&gt;-start</c> or <c>&lt;operation&gt;-stop</c>.</summary>
    public string Name => IsStart ? Operation + "-start" : Operation + "-stop";

    /// <summary>
    /// Builds the stored point (docs/osprofiler-formats.md §1): timestamp in OSProfiler's text form (UTC, microseconds) and
    /// <c>info.host</c> set. Mutates and keeps <see cref="Info"/>; call once per event.
    /// </summary>
    public TracePoint ToTracePoint(string? project = null, string? service = null)
    {
        var info = Info ?? new JsonObject();
        info["host"] = Host;
        return new TracePoint
        {
            Name = Name,
            BaseId = BaseId,
            TraceId = TraceId,
            ParentId = ParentId,
            Timestamp = TraceTimestamp.FromDateTime(new DateTime(UtcTicks, DateTimeKind.Utc)).ToString(),
            Info = info,
            Project = project,
            Service = service,
        };
    }
}

/// <summary>
/// Where a <see cref="TraceProfiler"/> sends its events. Implementations must not block, do I/O or throw on the
/// caller's thread: <see cref="TraceNotifier"/> queues them in a bounded buffer.
/// </summary>
public interface ITraceEventSink
{
    /// <summary>Queues an event; returns false when it was dropped (buffer full, sink closed).</summary>
    bool TryWrite(in TraceEvent traceEvent);
}

/// <summary>A sink that drops everything: the default of <see cref="TraceProfiler.DefaultSink"/> until a host sets one.</summary>
public sealed class NullTraceEventSink : ITraceEventSink
{
    /// <summary>The one instance.</summary>
    public static readonly NullTraceEventSink Instance = new();

    private NullTraceEventSink() { }

    /// <inheritdoc />
    public bool TryWrite(in TraceEvent traceEvent) => false;
}
