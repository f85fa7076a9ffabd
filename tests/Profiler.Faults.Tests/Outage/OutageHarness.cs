using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Profiler.Domain.Reports;
using Profiler.Instrumentation;
using Profiler.Storage;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Outage;

/// <summary>
/// An instrumented service as an application wires it: <c>AddProfiler</c> (options from configuration, then
/// adjusted) over a real store, with every log line captured.
/// </summary>
internal sealed class ProfiledService : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    /// <param name="bufferSize">The notifier's buffer; null: the default (<c>buffer_size</c> not configured).</param>
    public ProfiledService(ITraceStore store, int? bufferSize, int batchSize = 500)
    {
        Store = store;
        var settings = new Dictionary<string, string?>
        {
            ["Profiler:Enabled"] = "true",
            ["Profiler:HmacKeys"] = "SECRET_KEY",
            ["Profiler:Host"] = "outage-node",
            ["Profiler:Project"] = "faults",
            ["Profiler:Service"] = "traffic",
            ["Profiler:BatchSize"] = batchSize.ToString(),
            ["Profiler:FlushTimeout"] = "30",
        };
        if (bufferSize is { } size) settings["Profiler:BufferSize"] = size.ToString();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton(store);
        services.AddProfiler(configuration);
        _services = services.BuildServiceProvider();
        Notifier = _services.GetRequiredService<TraceNotifier>();
    }

    public ITraceStore Store { get; }
    public TraceNotifier Notifier { get; }
    public OutageLog Logs { get; } = new();

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}

/// <summary>Log lines, kept in memory.</summary>
internal sealed class OutageLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    public IReadOnlyCollection<string> Lines => _lines;
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    private sealed class Logger(OutageLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
    }
}

/// <summary>
/// Application traffic: writers on dedicated threads and writers as async flows, each tracing requests (a
/// <c>request</c> scope holding a <c>db</c> scope) into traces of <see cref="RequestsPerTrace"/> requests, and
/// timing every call into the profiler (each <c>Trace</c> and each scope's <c>Dispose</c>).
/// </summary>
internal sealed class Traffic
{
    public const int RequestsPerTrace = 250;
    private readonly ITraceEventSink _sink;
    private readonly ConcurrentDictionary<string, long> _generated = new();
    private readonly ConcurrentQueue<Exception> _errors = new();
    private long _maxTicks, _maxDownTicks, _calls, _downCalls, _slowCalls, _verySlowDownCalls;
    private volatile bool _down;
    private volatile bool _stop;
    private readonly List<Task> _writers = [];

    private readonly ConcurrentDictionary<string, long> _generatedDown = new();

    /// <param name="markDown">Name the operations begun while <see cref="StoreDown"/> <c>requestdown</c>/<c>dbdown</c>, to tell them apart in the store.</param>
    public Traffic(ITraceEventSink sink, bool markDown = false)
    {
        _sink = sink;
        _markDown = markDown;
    }

    private readonly bool _markDown;

    /// <summary>Points of operations begun while the store was down (with markDown).</summary>
    public long GeneratedWhileDown => _generatedDown.Values.Sum();

    private string Op(string name, bool down) => _markDown && down ? name + "down" : name;

    /// <summary>Set while the store is down: calls made then are also timed apart.</summary>
    public bool StoreDown { get => _down; set => _down = value; }

    public IReadOnlyDictionary<string, long> Generated => _generated;
    public long GeneratedTotal => _generated.Values.Sum();
    public IReadOnlyCollection<Exception> Errors => _errors;
    public TimeSpan MaxCall => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _maxTicks));
    public TimeSpan MaxCallWhileDown => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _maxDownTicks));
    public long Calls => Interlocked.Read(ref _calls);
    public long CallsWhileDown => Interlocked.Read(ref _downCalls);
    /// <summary>Calls that took more than 10 ms.</summary>
    public long SlowCalls => Interlocked.Read(ref _slowCalls);
    /// <summary>Calls made while the store was down that took more than 50 ms.</summary>
    public long CallsOver50MsWhileDown => Interlocked.Read(ref _verySlowDownCalls);

    public void Start(int threads, int asyncFlows)
    {
        for (var i = 0; i < threads; i++)
        {
            var writer = i;
            var thread = new Thread(() => Guard(() => { RunThread(writer); return Task.CompletedTask; }).GetAwaiter().GetResult()) { IsBackground = true, Name = $"writer-{i}" };
            var done = new TaskCompletionSource();
            _writers.Add(done.Task);
            thread.Start();
            _ = Task.Run(() => { thread.Join(); done.SetResult(); });
        }
        for (var i = 0; i < asyncFlows; i++)
        {
            var writer = threads + i;
            _writers.Add(Task.Run(() => Guard(() => RunAsync(writer))));
        }
    }

    public async Task StopAsync()
    {
        _stop = true;
        await Task.WhenAll(_writers);
    }

    private async Task Guard(Func<Task> body)
    {
        try { await body(); }
        catch (Exception e) { _errors.Enqueue(e); }
    }

    private void RunThread(int writer)
    {
        while (!_stop)
        {
            var profiler = new TraceProfiler("SECRET_KEY", _sink, host: $"writer-{writer}");
            long count = 0;
            for (var r = 0; r < RequestsPerTrace && !_stop; r++)
            {
                var down = _down;
                var outer = Timed(() => profiler.Trace(Op("request", down), new JsonObject { ["writer"] = writer, ["n"] = r }));
                var inner = Timed(() => profiler.Trace(Op("db", down), new JsonObject { ["statement"] = "SELECT 1" }));
                Timed(inner.Dispose);
                Timed(outer.Dispose);
                count += 4;
                if (down) _generatedDown.AddOrUpdate(profiler.BaseId, 4, (_, n) => n + 4);
                Thread.Sleep(1);
            }
            _generated[profiler.BaseId] = count;
        }
    }

    private async Task RunAsync(int writer)
    {
        while (!_stop)
        {
            var profiler = new TraceProfiler("SECRET_KEY", _sink, host: $"writer-{writer}");
            long count = 0;
            for (var r = 0; r < RequestsPerTrace && !_stop; r++)
            {
                var down = _down;
                var outer = Timed(() => profiler.Trace(Op("request", down), new JsonObject { ["writer"] = writer, ["n"] = r }));
                await Task.Yield();
                var inner = Timed(() => profiler.Trace(Op("db", down), new JsonObject { ["statement"] = "SELECT 1" }));
                await Task.Delay(1);
                Timed(inner.Dispose);
                Timed(outer.Dispose);
                count += 4;
                if (down) _generatedDown.AddOrUpdate(profiler.BaseId, 4, (_, n) => n + 4);
            }
            _generated[profiler.BaseId] = count;
        }
    }

    private T Timed<T>(Func<T> call)
    {
        var down = _down;
        var start = Stopwatch.GetTimestamp();
        var result = call();
        Record(Stopwatch.GetTimestamp() - start, down);
        return result;
    }

    private void Timed(Action call)
    {
        var down = _down;
        var start = Stopwatch.GetTimestamp();
        call();
        Record(Stopwatch.GetTimestamp() - start, down);
    }

    private void Record(long ticks, bool down)
    {
        Interlocked.Increment(ref _calls);
        if (ticks > Stopwatch.Frequency / 100) Interlocked.Increment(ref _slowCalls);
        Max(ref _maxTicks, ticks);
        if (!down) return;
        Interlocked.Increment(ref _downCalls);
        if (ticks > Stopwatch.Frequency / 20) Interlocked.Increment(ref _verySlowDownCalls);
        Max(ref _maxDownTicks, ticks);
    }

    private static void Max(ref long field, long value)
    {
        var current = Interlocked.Read(ref field);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref field, value, current);
            if (seen == current) return;
            current = seen;
        }
    }
}

/// <summary>
/// Settings for a test's own set-up writes and read-backs on a real server (not the profiled service's store, whose
/// defaults are what a test exercises): a 30 s <c>socket_timeout</c>. The default, OSProfiler's 0.1 s, gives a 1 s
/// connect and 2 s operations, which reading back a large trace on a busy 2-core machine can exceed.
/// </summary>
internal static class Patient
{
    public static DriverSettings Settings => new() { SocketTimeout = TimeSpan.FromSeconds(30) };
}

/// <summary>What a store holds of a set of traces: points, distinct points, and whether every report is whole.</summary>
internal sealed record StoredCount(long Points, long Distinct, long Duplicates, long Traces, long BrokenNodes, long Unreadable, long DistinctDown)
{
    public static async Task<StoredCount> ReadAsync(ITraceStore store, IEnumerable<string> baseIds)
    {
        long points = 0, distinct = 0, traces = 0, broken = 0, unreadable = 0, down = 0;
        foreach (var baseId in baseIds)
        {
            var seen = new HashSet<(string, string)>();
            var builder = new ReportBuilder();
            var any = false;
            await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None))
            {
                any = true;
                points++;
                if (!p.IsReadable) { unreadable++; continue; }
                if (!seen.Add((p.TraceId, p.Name))) continue;
                builder.Add(p);
                if (p.Name.Contains("down-", StringComparison.Ordinal)) down++;
            }
            distinct += seen.Count;
            if (!any) continue;
            traces++;
            var report = builder.Build();
            broken += Nodes(report.Children).Count(n =>
                n.RawPayloads.Count != 2 || !n.RawPayloads.Any(r => r.Key.EndsWith("-start", StringComparison.Ordinal))
                                         || !n.RawPayloads.Any(r => r.Key.EndsWith("-stop", StringComparison.Ordinal)));
        }
        return new StoredCount(points, distinct, points - distinct - unreadable, traces, broken, unreadable, down);
    }

    private static IEnumerable<ReportNode> Nodes(IEnumerable<ReportNode> nodes)
    {
        foreach (var n in nodes)
        {
            yield return n;
            foreach (var c in Nodes(n.Children)) yield return c;
        }
    }
}

internal static class Figures
{
    public static void Print(ITestOutputHelper output, string title, params (string Name, object Value)[] figures)
    {
        output.WriteLine(title);
        foreach (var (name, value) in figures)
            output.WriteLine($"  {name,-28} {value}");
    }

    public static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0.###} ms";
}
