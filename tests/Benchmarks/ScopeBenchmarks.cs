using BenchmarkDotNet.Attributes;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application;
using Profiler.Domain;
using Profiler.Instrumentation;
using Profiler.Storage;

namespace Profiler.Benchmarks;

/// <summary>
/// A trace scope's start+stop on the caller's thread (<c>using (profiler.Trace("db")) { }</c>): with a sink that drops
/// everything, and with a <see cref="TraceNotifier"/> whose batcher sends through the real use case (validation
/// included) to a store that keeps nothing. The notifier is flushed after each iteration so that nothing is dropped.
/// </summary>
[MemoryDiagnoser]
public class ScopeBenchmarks
{
    private const int ScopesPerInvoke = 1000;
    private TraceProfiler _nullProfiler = null!;
    private TraceProfiler _notifierProfiler = null!;
    private TraceNotifier _notifier = null!;

    [GlobalSetup]
    public void Setup()
    {
        _nullProfiler = new TraceProfiler(null, NullTraceEventSink.Instance, "bench-trace", host: "bench-host");
        _notifier = new TraceNotifier(DiscardingStore.Mediator(), new TraceNotifierOptions { BufferSize = 100_000 });
        _notifierProfiler = new TraceProfiler(null, _notifier, "bench-trace", host: "bench-host");
    }

    [GlobalCleanup]
    public void Cleanup() => _notifier.Dispose();

    [IterationCleanup(Target = nameof(Scope_with_notifier))]
    public void Flush() => _notifier.FlushAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = ScopesPerInvoke, Baseline = true)]
    public void Scope_with_null_sink()
    {
        for (var i = 0; i < ScopesPerInvoke; i++)
        {
            using var scope = _nullProfiler.Trace("db");
        }
    }

    [Benchmark(OperationsPerInvoke = ScopesPerInvoke)]
    public void Scope_with_notifier()
    {
        for (var i = 0; i < ScopesPerInvoke; i++)
        {
            using var scope = _notifierProfiler.Trace("db");
        }
    }
}

/// <summary>
/// The notifier's batcher alone: events queued, then built into points and sent in batches through the use case to a
/// store that keeps nothing, until all are stored.
/// </summary>
[MemoryDiagnoser]
public class BatcherBenchmarks
{
    private const int Events = 10_000;
    private TraceNotifier _notifier = null!;
    private TraceEvent[] _events = null!;

    [GlobalSetup]
    public void Setup()
    {
        _notifier = new TraceNotifier(DiscardingStore.Mediator(), new TraceNotifierOptions { BufferSize = Events * 2 });
        var ticks = DateTime.UtcNow.Ticks;
        _events = Enumerable.Range(0, Events)
            .Select(i => new TraceEvent("db", i % 2 == 0, "bench-trace", $"op-{i / 2}", "bench-trace", ticks + i * 10L, null, "bench-host"))
            .ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _notifier.Dispose();

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task Queue_and_send()
    {
        foreach (var e in _events) _notifier.TryWrite(e);
        if (!await _notifier.FlushAsync(TimeSpan.FromSeconds(30))) throw new InvalidOperationException("not flushed");
    }
}

/// <summary>A store that accepts and forgets every point.</summary>
internal sealed class DiscardingStore : ITraceStore
{
    public static IMediator Mediator()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ITraceStore>(new DiscardingStore());
        services.AddApplicationServices();
        return services.BuildServiceProvider().GetRequiredService<IMediator>();
    }

    public Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken) => Task.CompletedTask;

    public async IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield break;
    }

    public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) => Task.FromResult(new TracePage([], null));
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
