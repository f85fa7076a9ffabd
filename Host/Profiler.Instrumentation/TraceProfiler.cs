using System.Text.Json.Nodes;
using Profiler.Storage;

namespace Profiler.Instrumentation;

/// <summary>
/// A profiler for one trace, OSProfiler's <c>profiler.init(hmac_key, base_id, parent_id)</c>: it knows the trace's
/// base id, the key that signs outgoing trace headers, and where its points go. <see cref="Trace"/> opens a scope
/// that sends <c>&lt;name&gt;-start</c> now and <c>&lt;name&gt;-stop</c> when disposed (docs/osprofiler-formats.md §1).
/// </summary>
/// <remarks>
/// <para>Nesting follows the code's async flow (an <see cref="AsyncLocal{T}"/>), not threads: a scope opened inside
/// another one, even after awaits or in a task started within it, gets the enclosing scope's trace id as its
/// parent id; parallel tasks started in one scope are siblings. At the top the parent is the init parent id,
/// which defaults to the base id.</para>
/// <para>Opening a scope makes its profiler ambient (<see cref="Current"/>) for the code inside. The hot path does
/// no I/O, takes no lock and formats nothing: it reads the clock, makes a UUID and hands a
/// <see cref="TraceEvent"/> to the sink (a lock-free bounded buffer for <see cref="TraceNotifier"/>).</para>
/// </remarks>
public sealed class TraceProfiler
{
    private static readonly AsyncLocal<TraceFrame?> Ambient = new();
    private static ITraceEventSink _defaultSink = NullTraceEventSink.Instance;
    private readonly TraceFrame _root;

    /// <summary>
    /// Creates a profiler. Ids must pass <see cref="TracePointRules.IsSafeId"/> (a UUID does).
    /// </summary>
    /// <param name="hmacKey">Key that signs trace headers for outgoing calls; null or empty: no headers are sent (as OSProfiler).</param>
    /// <param name="sink">Where events go, e.g. a <see cref="TraceNotifier"/>.</param>
    /// <param name="baseId">The trace's base id; default a new UUID.</param>
    /// <param name="parentId">Parent of the top scopes; default <paramref name="baseId"/>.</param>
    /// <param name="host">Put into every point's <c>info.host</c>; default <see cref="Environment.MachineName"/>.</param>
    public TraceProfiler(string? hmacKey, ITraceEventSink sink, string? baseId = null, string? parentId = null, string? host = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        baseId ??= NewId();
        if (!TracePointRules.IsSafeId(baseId)) throw new ArgumentException(TracePointRules.IdError("base id", baseId), nameof(baseId));
        if (parentId is not null && !TracePointRules.IsSafeId(parentId))
            throw new ArgumentException(TracePointRules.IdError("parent id", parentId), nameof(parentId));
        HmacKey = string.IsNullOrEmpty(hmacKey) ? null : hmacKey;
        Sink = sink;
        BaseId = baseId;
        Host = string.IsNullOrEmpty(host) ? Environment.MachineName : host;
        _root = new TraceFrame(this, parentId ?? baseId);
    }

    /// <summary>
    /// The sink <see cref="Init"/> uses when given none. Default <see cref="NullTraceEventSink.Instance"/> (drops
    /// everything); the host's <c>AddProfiler</c> sets it to its notifier at start-up (OSProfiler's <c>notifier.set</c>).
    /// </summary>
    public static ITraceEventSink DefaultSink
    {
        get => Volatile.Read(ref _defaultSink);
        set => Volatile.Write(ref _defaultSink, value ?? NullTraceEventSink.Instance);
    }

    /// <summary>The profiler of the current async flow, or null (OSProfiler's <c>profiler.get()</c>).</summary>
    public static TraceProfiler? Current => Ambient.Value?.Profiler;

    /// <summary>The key that signs outgoing trace headers; null when none.</summary>
    public string? HmacKey { get; }

    /// <summary>Shared by every point of the trace.</summary>
    public string BaseId { get; }

    /// <summary>Put into every point's <c>info.host</c>.</summary>
    public string Host { get; }

    /// <summary>Where events go.</summary>
    public ITraceEventSink Sink { get; }

    /// <summary>
    /// The id of the innermost open scope of this profiler in the current async flow, or the init parent id when
    /// none (OSProfiler's <c>get_id()</c>): the parent a new scope, or a remote service called now, would get.
    /// </summary>
    public string CurrentId => Ambient.Value is { } f && ReferenceEquals(f.Profiler, this) ? f.Id : _root.Id;

    /// <summary>
    /// Makes a profiler ambient for the current async flow, unless one already is (then returns that one, as
    /// OSProfiler's <c>init</c> does). Call it inside the async method whose flow should be traced: the change is
    /// undone when that method returns. <paramref name="sink"/> defaults to <see cref="DefaultSink"/>.
    /// </summary>
    public static TraceProfiler Init(string? hmacKey, string? baseId = null, string? parentId = null, ITraceEventSink? sink = null)
    {
        if (Current is { } existing) return existing;
        var profiler = new TraceProfiler(hmacKey, sink ?? DefaultSink, baseId, parentId);
        Ambient.Value = profiler._root;
        return profiler;
    }

    /// <summary>Makes this profiler ambient for the current async flow (replacing any other), with no scope open.</summary>
    public void MakeCurrent() => Ambient.Value = _root;

    /// <summary>Removes the ambient profiler from the current async flow (OSProfiler's <c>profiler.clean()</c>).</summary>
    public static void Clean() => Ambient.Value = null;

    /// <summary>
    /// Sends <c>&lt;name&gt;-start</c> and returns the scope whose disposal sends <c>&lt;name&gt;-stop</c>. Code inside
    /// the scope (in the same async flow) nests under it. <paramref name="info"/> becomes the start point's
    /// <c>info</c> (with <c>host</c> added): the profiler owns it from now on, don't change or reuse it.
    /// Record an exception with <see cref="TraceScope.Fail"/> (e.g. <c>catch (Exception e) when (scope.Fail(e))</c>)
    /// or use <see cref="Run"/>/<see cref="RunAsync"/>, which do.
    /// </summary>
    public TraceScope Trace(string name, JsonObject? info = null) => Start(name, info, ambient: true);

    /// <summary>
    /// Like <see cref="Trace"/> but the scope does not become the parent of scopes opened while it is open: for leaf
    /// operations (a SQL statement, an outgoing HTTP call) whose end may be reported from another flow. Cheaper.
    /// </summary>
    public TraceScope TraceLeaf(string name, JsonObject? info = null) => Start(name, info, ambient: false);

    /// <summary>Runs <paramref name="action"/> in a scope; an exception is recorded on the stop point and rethrown.</summary>
    public void Run(string name, JsonObject? info, Action action) => Tracing.Run(this, name, info, action);

    /// <summary>Runs <paramref name="func"/> in a scope; an exception is recorded on the stop point and rethrown.</summary>
    public T Run<T>(string name, JsonObject? info, Func<T> func) => Tracing.Run(this, name, info, func);

    /// <summary>Runs and awaits <paramref name="func"/> in a scope; an exception is recorded on the stop point and rethrown.</summary>
    public Task RunAsync(string name, JsonObject? info, Func<Task> func) => Tracing.RunAsync(this, name, info, func);

    /// <summary>Runs and awaits <paramref name="func"/> in a scope; an exception is recorded on the stop point and rethrown.</summary>
    public Task<T> RunAsync<T>(string name, JsonObject? info, Func<Task<T>> func) => Tracing.RunAsync(this, name, info, func);

    /// <summary>Runs and awaits <paramref name="func"/> in a scope; an exception is recorded on the stop point and rethrown.</summary>
    public ValueTask RunValueTaskAsync(string name, JsonObject? info, Func<ValueTask> func) => Tracing.RunValueTaskAsync(this, name, info, func);

    /// <summary>Runs and awaits <paramref name="func"/> in a scope; an exception is recorded on the stop point and rethrown.</summary>
    public ValueTask<T> RunValueTaskAsync<T>(string name, JsonObject? info, Func<ValueTask<T>> func) => Tracing.RunValueTaskAsync(this, name, info, func);

    private TraceScope Start(string name, JsonObject? info, bool ambient)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var previous = Ambient.Value;
        var parentId = previous is not null && ReferenceEquals(previous.Profiler, this) ? previous.Id : _root.Id;
        var traceId = NewId();
        Sink.TryWrite(new TraceEvent(name, true, BaseId, traceId, parentId, DateTime.UtcNow.Ticks, info, Host));
        TraceFrame? frame = null;
        if (ambient)
        {
            frame = new TraceFrame(this, traceId);
            Ambient.Value = frame;
        }
        return new TraceScope(this, name, traceId, parentId, frame, previous);
    }

    /// <summary>Restores the ambient frame a scope replaced, if the scope's frame is still the current one.</summary>
    internal static void Restore(TraceFrame frame, TraceFrame? previous)
    {
        if (ReferenceEquals(Ambient.Value, frame)) Ambient.Value = previous;
    }

    /// <summary>Random bytes a thread draws ids from: 256 ids per refill.</summary>
    private const int RandomBlock = 16 * 256;

    [ThreadStatic] private static byte[]? t_random;
    [ThreadStatic] private static int t_randomUsed;

    /// <summary>
    /// A random (version 4) UUID in its 36-character form, as OSProfiler's <c>uuid.uuid4()</c>. The 122 random bits
    /// come from the operating system's cryptographic generator, as <see cref="Guid.NewGuid"/>'s do, but drawn 4 KiB
    /// at a time per thread: <see cref="Guid.NewGuid"/> makes one system call per id, which was most of a scope's cost.
    /// </summary>
    internal static string NewId()
    {
        var random = t_random;
        var used = t_randomUsed;
        if (random is null || used == RandomBlock)
        {
            random = t_random ??= new byte[RandomBlock];
            System.Security.Cryptography.RandomNumberGenerator.Fill(random);
            used = 0;
        }
        t_randomUsed = used + 16;
        var bytes = random.AsSpan(used, 16);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40); // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }
}

/// <summary>One level of the ambient stack: a profiler and the id new scopes take as parent.</summary>
internal sealed class TraceFrame(TraceProfiler profiler, string id)
{
    public TraceProfiler Profiler { get; } = profiler;
    public string Id { get; } = id;
}
