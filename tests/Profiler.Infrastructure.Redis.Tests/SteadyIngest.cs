using Profiler.Instrumentation;
using Profiler.Storage;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// An application's steady trickle of trace points into a <see cref="TraceNotifier"/>, as instrumented code produces
/// them: every tick one operation (a <c>db-start</c> and a <c>db-stop</c> of a fresh operation id) into the next trace of
/// the current set, round robin. Remembers every point handed over, so a test can count them back one by one.
/// </summary>
internal sealed class SteadyIngest : IAsyncDisposable
{
    private readonly TraceNotifier _notifier;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<string>> _operations = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private IReadOnlyList<string> _traces;
    private int _next;
    private int _count;
    private int _refused;

    /// <param name="traces">The base ids written to first (<see cref="SwitchTo"/> changes them).</param>
    /// <param name="tick">Time between two operations (two points).</param>
    public SteadyIngest(TraceNotifier notifier, IReadOnlyList<string> traces, TimeSpan tick)
    {
        _notifier = notifier;
        _traces = traces;
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(tick);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token)) WriteOne();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        });
    }

    /// <summary>Operations written so far.</summary>
    public int Operations => Volatile.Read(ref _count);

    /// <summary>Points the notifier refused (its buffer full): must stay 0.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Operations written so far into <paramref name="baseId"/>.</summary>
    public int OperationsOf(string baseId)
    {
        lock (_gate) return _operations.TryGetValue(baseId, out var ops) ? ops.Count : 0;
    }

    /// <summary>Every trace written to, with its operation ids in the order written.</summary>
    public IReadOnlyDictionary<string, List<string>> Written
    {
        get { lock (_gate) return _operations.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal); }
    }

    /// <summary>From the next tick on, writes into <paramref name="traces"/> instead.</summary>
    public void SwitchTo(IReadOnlyList<string> traces)
    {
        lock (_gate)
        {
            _traces = traces;
            _next = 0;
        }
    }

    /// <summary>Stops writing; returns once the last operation was handed over.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    private void WriteOne()
    {
        string baseId, op;
        lock (_gate)
        {
            baseId = _traces[_next++ % _traces.Count];
            op = $"op-{_count}";
            if (!_operations.TryGetValue(baseId, out var ops)) _operations[baseId] = ops = [];
            ops.Add(op);
            Interlocked.Increment(ref _count);
        }
        var now = DateTime.UtcNow.Ticks;
        if (!_notifier.TryWrite(new TraceEvent("db", true, baseId, op, baseId, now, null, "node-1"))) Interlocked.Increment(ref _refused);
        if (!_notifier.TryWrite(new TraceEvent("db", false, baseId, op, baseId, now + 10, null, "node-1"))) Interlocked.Increment(ref _refused);
    }

    /// <summary>
    /// Checks every trace written against what <paramref name="store"/> reads: each operation's start and stop exactly
    /// once (nothing lost, nothing stored twice), and nothing else. Returns the points counted.
    /// </summary>
    public async Task<int> AssertStoredExactlyOnceAsync(ITraceStore store)
    {
        var counted = 0;
        foreach (var (baseId, operations) in Written)
        {
            var read = new List<string>();
            await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None)) read.Add($"{p.TraceId} {p.Name}");
            var expected = operations.SelectMany(op => new[] { $"{op} db-start", $"{op} db-stop" }).Order(StringComparer.Ordinal).ToList();
            var missing = expected.Except(read, StringComparer.Ordinal).ToList();
            var twice = read.GroupBy(r => r, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(missing.Count == 0 && twice.Count == 0 && read.Count == expected.Count,
                $"trace {baseId}: {expected.Count} points written, {read.Count} read; missing [{string.Join(", ", missing.Take(20))}]; " +
                $"stored twice [{string.Join(", ", twice.Take(20))}]");
            counted += read.Count;
        }
        return counted;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}
