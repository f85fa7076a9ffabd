using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using Profiler.Domain;
using Event = OpenTelemetry.Proto.Trace.V1.Span.Types.Event;

namespace Profiler.Otlp;

/// <summary>One span a receiver did not store, and why.</summary>
/// <param name="Index">The span's position in the request, counting every span of every resource and scope from 0.</param>
/// <param name="SpanId">The span id in hexadecimal.</param>
/// <param name="Name">The span's name.</param>
/// <param name="Message">Why it was rejected, naming the bad value.</param>
public sealed record OtlpRejectedSpan(int Index, string SpanId, string Name, string Message);

/// <summary>The points made from a request's spans (<see cref="OtlpMapping.ToPoints"/>), and the spans left out.</summary>
public sealed class OtlpPoints
{
    /// <summary>Points of the accepted spans, a span's start point before its stop point.</summary>
    public List<TracePoint> Points { get; } = [];

    /// <summary>Spans rejected by the mapping or by the caller's check; none of their points is in <see cref="Points"/>.</summary>
    public List<OtlpRejectedSpan> Rejected { get; } = [];

    /// <summary>Spans in the request.</summary>
    public int SpanCount { get; internal set; }
}

/// <summary>
/// The one mapping between OSProfiler trace points and OTLP spans (docs/otlp.md): an operation's start and stop point
/// are one span; the trace's base id is the trace id, the operation's trace id the span id, its parent id the parent
/// span id; service, project and host are the resource's.
/// </summary>
public static class OtlpMapping
{
    /// <summary>Span attribute holding a base id that is not a lower-case UUID (its trace id is then a hash of it).</summary>
    public const string BaseIdAttribute = "osprofiler.base_id";

    /// <summary>Span attribute holding a point trace id that is not 16 lower-case hex digits (the span id is then a hash of it).</summary>
    public const string TraceIdAttribute = "osprofiler.trace_id";

    /// <summary>Span attribute holding a parent id that is neither the base id nor 16 lower-case hex digits.</summary>
    public const string ParentIdAttribute = "osprofiler.parent_id";

    /// <summary>Span event, at the end time, holding the stop point's <c>info</c> beyond host and error.</summary>
    public const string StopEventName = "osprofiler.stop";

    /// <summary>Start-point <c>info</c> key holding a span kind other than internal: <c>server</c>, <c>client</c>, <c>producer</c> or <c>consumer</c>.</summary>
    public const string SpanKindKey = "span.kind";

    /// <summary>Name of the instrumentation scope of spans made from points: <c>profiler</c>.</summary>
    public const string ScopeName = "profiler";

    private const string ServiceName = "service.name";
    private const string ServiceNamespace = "service.namespace";
    private const string HostName = "host.name";
    private const string ExceptionEvent = "exception";
    private const string ExceptionType = "exception.type";
    private const string ExceptionMessage = "exception.message";

    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;

    // ---------------------------------------------------------------- spans → points

    /// <summary>
    /// Maps every span to its points. A span whose ids have the wrong length (trace id not 16 bytes, span id not 8,
    /// parent span id neither empty nor 8) or are all zero makes the request malformed: <see cref="FormatException"/>
    /// naming the span. A span that maps but cannot be stored (no name, neither start nor end time, a time past year
    /// 9999, an attribute nested too deep, or a point <paramref name="check"/> finds fault with) is rejected alone.
    /// </summary>
    /// <param name="resourceSpans">The request's (or file's) resource spans.</param>
    /// <param name="check">Checks one point: the problem's message, or null when it may be stored. Default null: no check.</param>
    public static OtlpPoints ToPoints(IEnumerable<ResourceSpans> resourceSpans, Func<TracePoint, string?>? check = null)
    {
        var result = new OtlpPoints();
        var index = 0;
        foreach (var rs in resourceSpans)
        {
            var resource = rs.Resource?.Attributes;
            var service = resource is null ? null : OtlpValues.StringOf(resource, ServiceName);
            var project = resource is null ? null : OtlpValues.StringOf(resource, ServiceNamespace);
            var host = resource is null ? null : OtlpValues.StringOf(resource, HostName);
            foreach (var scope in rs.ScopeSpans)
            foreach (var span in scope.Spans)
            {
                CheckIds(span, index);
                var problem = Map(span, service, project, host, result.Points, check);
                if (problem is not null)
                    result.Rejected.Add(new OtlpRejectedSpan(index, OtlpIds.ToHex(span.SpanId.Span), span.Name, problem));
                index++;
            }
        }
        result.SpanCount = index;
        return result;
    }

    private static void CheckIds(Span span, int index)
    {
        static string Where(Span s, int i) => $"span {i} ('{Shorten(s.Name)}')";
        if (span.TraceId.Length != OtlpIds.TraceIdLength)
            throw new FormatException($"{Where(span, index)}: traceId is {span.TraceId.Length} byte(s) ('{Shorten(OtlpIds.ToHex(span.TraceId.Span))}'); an OTLP trace id is 16 bytes (32 hex digits)");
        if (!span.TraceId.Span.ContainsAnyExcept((byte)0))
            throw new FormatException($"{Where(span, index)}: traceId is all zero, which OTLP calls invalid");
        if (span.SpanId.Length != OtlpIds.SpanIdLength)
            throw new FormatException($"{Where(span, index)}: spanId is {span.SpanId.Length} byte(s) ('{Shorten(OtlpIds.ToHex(span.SpanId.Span))}'); an OTLP span id is 8 bytes (16 hex digits)");
        if (!span.SpanId.Span.ContainsAnyExcept((byte)0))
            throw new FormatException($"{Where(span, index)}: spanId is all zero, which OTLP calls invalid");
        if (span.ParentSpanId.Length != 0 && span.ParentSpanId.Length != OtlpIds.SpanIdLength)
            throw new FormatException($"{Where(span, index)}: parentSpanId is {span.ParentSpanId.Length} byte(s) ('{Shorten(OtlpIds.ToHex(span.ParentSpanId.Span))}'); it must be empty (a root span) or 8 bytes (16 hex digits)");
    }

    private static string Shorten(string text)
    {
        var s = text.Length > 60 ? text[..60] + "…" : text;
        return string.Create(s.Length, s, (span, src) =>
        {
            for (var i = 0; i < src.Length; i++) span[i] = char.IsControl(src[i]) ? '?' : src[i];
        });
    }

    /// <summary>Adds the span's points to <paramref name="points"/>; the problem when it is rejected (nothing added).</summary>
    private static string? Map(Span span, string? service, string? project, string? host, List<TracePoint> points, Func<TracePoint, string?>? check)
    {
        if (string.IsNullOrEmpty(span.Name)) return "the span has no name";
        if (span.StartTimeUnixNano == 0 && span.EndTimeUnixNano == 0) return "the span has neither a start nor an end time";
        if (!TryTimestamp(span.StartTimeUnixNano, out var start)) return $"startTimeUnixNano {span.StartTimeUnixNano} is past the year 9999";
        if (!TryTimestamp(span.EndTimeUnixNano, out var end)) return $"endTimeUnixNano {span.EndTimeUnixNano} is past the year 9999";

        var baseId = OtlpValues.StringOf(span.Attributes, BaseIdAttribute) ?? OtlpIds.ToUuid(span.TraceId.Span);
        var traceId = OtlpValues.StringOf(span.Attributes, TraceIdAttribute) ?? OtlpIds.ToHex(span.SpanId.Span);
        var parentId = OtlpValues.StringOf(span.Attributes, ParentIdAttribute)
                       ?? (span.ParentSpanId.IsEmpty ? baseId : OtlpIds.ToHex(span.ParentSpanId.Span));

        TracePoint? startPoint = null, stopPoint = null;
        try
        {
            if (start is not null)
            {
                var info = new JsonObject();
                if (host is not null) info["host"] = host;
                OtlpValues.AddTo(info, span.Attributes, IsIdAttribute);
                if (KindName(span.Kind) is { } kind) info[SpanKindKey] = kind;
                startPoint = new TracePoint
                {
                    Name = span.Name + "-start", BaseId = baseId, TraceId = traceId, ParentId = parentId,
                    Timestamp = start, Info = info, Project = project, Service = service,
                };
            }
            if (end is not null)
            {
                var info = new JsonObject();
                if (host is not null) info["host"] = host;
                Event? exception = null;
                foreach (var e in span.Events)
                {
                    if (e.Name == StopEventName) OtlpValues.AddTo(info, e.Attributes);
                    else if (e.Name == ExceptionEvent) exception = e;
                }
                if (span.Status?.Code == Status.Types.StatusCode.Error)
                {
                    info["etype"] = (exception is null ? null : OtlpValues.StringOf(exception.Attributes, ExceptionType)) ?? "Error";
                    var message = (exception is null ? null : OtlpValues.StringOf(exception.Attributes, ExceptionMessage))
                                  ?? (string.IsNullOrEmpty(span.Status.Message) ? null : span.Status.Message);
                    if (message is not null) info["message"] = message;
                }
                stopPoint = new TracePoint
                {
                    Name = span.Name + "-stop", BaseId = baseId, TraceId = traceId, ParentId = parentId,
                    Timestamp = end, Info = info, Project = project, Service = service,
                };
            }
        }
        catch (FormatException e)
        {
            return e.Message;
        }
        if (check is not null)
        {
            if (startPoint is not null && check(startPoint) is { } p1) return p1;
            if (stopPoint is not null && check(stopPoint) is { } p2) return p2;
        }
        if (startPoint is not null) points.Add(startPoint);
        if (stopPoint is not null) points.Add(stopPoint);
        return null;
    }

    private static string? KindName(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Server => "server",
        Span.Types.SpanKind.Client => "client",
        Span.Types.SpanKind.Producer => "producer",
        Span.Types.SpanKind.Consumer => "consumer",
        _ => null,
    };

    private static Span.Types.SpanKind? KindOf(string? name) => name switch
    {
        "server" => Span.Types.SpanKind.Server,
        "client" => Span.Types.SpanKind.Client,
        "producer" => Span.Types.SpanKind.Producer,
        "consumer" => Span.Types.SpanKind.Consumer,
        _ => null,
    };

    private static bool IsIdAttribute(string key) => key is BaseIdAttribute or TraceIdAttribute or ParentIdAttribute;

    /// <summary>An OTLP time (0: none) as an OSProfiler timestamp, truncated to the microsecond.</summary>
    private static bool TryTimestamp(ulong unixNano, out string? timestamp)
    {
        timestamp = null;
        if (unixNano == 0) return true;
        var ticks = unixNano / 100;
        if (ticks > (ulong)(DateTime.MaxValue.Ticks - EpochTicks)) return false;
        timestamp = TraceTimestamp.FromDateTime(new DateTime(EpochTicks + (long)ticks, DateTimeKind.Utc)).ToString();
        return true;
    }

    // ---------------------------------------------------------------- points → spans

    /// <summary>
    /// Maps points to spans: the points of one operation (same base id and trace id) become one span, grouped by
    /// resource (service, project, host). An operation with only a start point gets end time 0, one with only a stop
    /// point start time 0. Points in any order; spans come in the order their operations first appear.
    /// </summary>
    public static TracesData ToTracesData(IEnumerable<TracePoint> points)
    {
        var data = new TracesData();
        foreach (var rs in ToResourceSpans(points)) data.ResourceSpans.Add(rs);
        return data;
    }

    /// <summary>Maps points to resource spans; see <see cref="ToTracesData"/>.</summary>
    public static List<ResourceSpans> ToResourceSpans(IEnumerable<TracePoint> points)
    {
        var operations = new Dictionary<(string, string), Operation>();
        var order = new List<Operation>();
        foreach (var p in points)
        {
            if (!operations.TryGetValue((p.BaseId, p.TraceId), out var op))
            {
                op = new Operation();
                operations[(p.BaseId, p.TraceId)] = op;
                order.Add(op);
            }
            if (p.IsStop) op.Stop ??= p;
            else op.Start ??= p;
        }
        var resources = new Dictionary<(string?, string?, string?), ScopeSpans>();
        var result = new List<ResourceSpans>();
        foreach (var op in order)
        {
            var first = op.Start ?? op.Stop!;
            var host = op.Start?.Host ?? op.Stop?.Host;
            var key = (first.Service, first.Project, host);
            if (!resources.TryGetValue(key, out var scope))
            {
                var resource = new Resource();
                if (first.Service is not null) resource.Attributes.Add(OtlpValues.Attribute(ServiceName, first.Service));
                if (first.Project is not null) resource.Attributes.Add(OtlpValues.Attribute(ServiceNamespace, first.Project));
                if (host is not null) resource.Attributes.Add(OtlpValues.Attribute(HostName, host));
                scope = new ScopeSpans { Scope = new InstrumentationScope { Name = ScopeName } };
                var rs = new ResourceSpans { Resource = resource };
                rs.ScopeSpans.Add(scope);
                resources[key] = scope;
                result.Add(rs);
            }
            scope.Spans.Add(ToSpan(op, host));
        }
        return result;
    }

    private sealed class Operation
    {
        public TracePoint? Start;
        public TracePoint? Stop;
    }

    /// <summary>The span of one operation's start and/or stop point (its resource host: the start point's, else the stop point's).</summary>
    public static Span ToSpan(TracePoint? start, TracePoint? stop)
    {
        if (start is null && stop is null) throw new ArgumentException("give a start point, a stop point or both");
        return ToSpan(new Operation { Start = start, Stop = stop }, start?.Host ?? stop?.Host);
    }

    private static Span ToSpan(Operation op, string? host)
    {
        var first = op.Start ?? op.Stop!;
        var name = first.Name.EndsWith("-start", StringComparison.Ordinal) ? first.Name[..^6]
            : first.Name.EndsWith("-stop", StringComparison.Ordinal) ? first.Name[..^5] : first.Name;
        var span = new Span { Name = name, Kind = Span.Types.SpanKind.Internal };

        Span<byte> traceId = stackalloc byte[OtlpIds.TraceIdLength];
        if (!OtlpIds.TryFromUuid(first.BaseId, traceId))
        {
            OtlpIds.Hash(first.BaseId, traceId);
            span.Attributes.Add(OtlpValues.Attribute(BaseIdAttribute, first.BaseId));
        }
        span.TraceId = OtlpIds.Bytes(traceId);

        Span<byte> id = stackalloc byte[OtlpIds.SpanIdLength];
        if (!OtlpIds.TryFromHex(first.TraceId, id))
        {
            OtlpIds.Hash(first.TraceId, id);
            span.Attributes.Add(OtlpValues.Attribute(TraceIdAttribute, first.TraceId));
        }
        span.SpanId = OtlpIds.Bytes(id);

        if (first.ParentId != first.BaseId)
        {
            if (!OtlpIds.TryFromHex(first.ParentId, id))
            {
                OtlpIds.Hash(first.ParentId, id);
                span.Attributes.Add(OtlpValues.Attribute(ParentIdAttribute, first.ParentId));
            }
            span.ParentSpanId = OtlpIds.Bytes(id);
        }

        if (op.Start is not null)
        {
            span.StartTimeUnixNano = UnixNano(op.Start.Timestamp);
            if (op.Start.Info is { } info)
                foreach (var (k, v) in info)
                {
                    var text = v?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)v : null;
                    if (k == "host" && string.Equals(text, host, StringComparison.Ordinal)) continue;
                    if (k == SpanKindKey && KindOf(text) is { } kind)
                    {
                        span.Kind = kind;
                        continue;
                    }
                    span.Attributes.Add(new KeyValue { Key = k, Value = OtlpValues.FromJson(v) });
                }
        }
        if (op.Stop is not null)
        {
            span.EndTimeUnixNano = UnixNano(op.Stop.Timestamp);
            var stopInfo = new List<KeyValue>();
            string? etype = null, message = null;
            if (op.Stop.Info is { } info)
                foreach (var (k, v) in info)
                {
                    var text = v?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)v : null;
                    if (k == "host" && string.Equals(text, host, StringComparison.Ordinal)) continue;
                    if (k == "etype" && text is not null) etype = text;
                    else if (k == "message" && text is not null) message = text;
                    else stopInfo.Add(new KeyValue { Key = k, Value = OtlpValues.FromJson(v) });
                }
            if (etype is null && message is not null) stopInfo.Add(OtlpValues.Attribute("message", message));
            if (etype is not null)
            {
                span.Status = new Status { Code = Status.Types.StatusCode.Error, Message = message ?? "" };
                var e = new Event { Name = ExceptionEvent, TimeUnixNano = span.EndTimeUnixNano };
                e.Attributes.Add(OtlpValues.Attribute(ExceptionType, etype));
                if (message is not null) e.Attributes.Add(OtlpValues.Attribute(ExceptionMessage, message));
                span.Events.Add(e);
            }
            if (stopInfo.Count > 0)
            {
                var e = new Event { Name = StopEventName, TimeUnixNano = span.EndTimeUnixNano };
                e.Attributes.AddRange(stopInfo);
                span.Events.Add(e);
            }
        }
        return span;
    }

    private static ulong UnixNano(string timestamp)
    {
        var ticks = TraceTimestamp.Parse(timestamp).Ticks - EpochTicks;
        return ticks <= 0 ? 1 : (ulong)ticks * 100;
    }

    /// <summary>The span id of a span made from points with this point trace id (the id itself, or its hash).</summary>
    public static ByteString SpanIdOf(string pointTraceId)
    {
        Span<byte> id = stackalloc byte[OtlpIds.SpanIdLength];
        if (!OtlpIds.TryFromHex(pointTraceId, id)) OtlpIds.Hash(pointTraceId, id);
        return OtlpIds.Bytes(id);
    }
}
