using System.Collections.Concurrent;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Instrumentation.Tests;

/// <summary>Collects events in memory, as the notifier would queue them.</summary>
internal sealed class CollectingSink : ITraceEventSink
{
    private readonly ConcurrentQueue<TraceEvent> _events = new();

    public bool TryWrite(in TraceEvent traceEvent)
    {
        _events.Enqueue(traceEvent);
        return true;
    }

    public IReadOnlyList<TracePoint> Points => _events.Select(e => e.ToTracePoint()).ToList();
    public IReadOnlyList<TraceEvent> Events => _events.ToList();
}

/// <summary>An in-memory store that can be told to fail or hang (Application tests only).</summary>
internal sealed class FakeTraceStore : ITraceStore
{
    private readonly ConcurrentQueue<TracePoint> _points = new();
    private volatile TaskCompletionSource? _hang;

    public volatile bool Failing;
    public int Writes;

    /// <summary>Serialise each batch as the Redis driver does (<see cref="TracePointJson.WriteAll"/>) before storing it.</summary>
    public bool Serialise;

    /// <summary>When set, every attempt throws what this makes (a driver breaking the contract with its own exceptions).</summary>
    public volatile Func<Exception>? Throw;

    /// <summary>
    /// Points the store refuses for good, as Redis does a trace whose key holds another type: the others are stored
    /// (once per batch id) and the write throws <see cref="TracePointsRefusedException"/> naming the refused ones.
    /// </summary>
    public volatile Func<TracePoint, bool>? Refuse;

    public IReadOnlyList<TracePoint> Points => _points.ToList();

    public void Hang() => _hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    public void Release() => Interlocked.Exchange(ref _hang, null)?.TrySetResult();

    /// <summary>The batch id of every write attempt, in order.</summary>
    public ConcurrentQueue<Guid> BatchIds { get; } = new();
    private readonly ConcurrentDictionary<Guid, bool> _stored = new();

    /// <summary>Store the batch, then fail as if the reply was lost, this many times.</summary>
    public int LoseReplies;

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Writes);
        BatchIds.Enqueue(batchId);
        if (_hang is { } hang) await hang.Task.WaitAsync(cancellationToken);
        if (Failing) throw new TraceStoreException("fake store is down");
        if (Throw is { } fault) throw fault();
        if (Serialise) TracePointJson.WriteAll(new System.Buffers.ArrayBufferWriter<byte>(), points);
        var refuse = Refuse;
        if (_stored.TryAdd(batchId, true))
            foreach (var p in points)
                if (refuse is null || !refuse(p)) _points.Enqueue(p);
        if (refuse is not null && Enumerable.Range(0, points.Count).Where(i => refuse(points[i])).ToList() is { Count: > 0 } refused)
            throw new TracePointsRefusedException($"fake store: {refused.Count} point(s) refused for good", refused);
        if (Interlocked.Decrement(ref LoseReplies) >= 0) throw new TraceStoreException("fake store: the reply was lost");
    }

    public async IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield break;
    }

    public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) => Task.FromResult(new TracePage([], null));
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>A mediator with the real RecordTracePoints handler and validation, over this store.</summary>
    public IMediator Mediator()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ITraceStore>(this);
        services.AddApplicationServices();
        return services.BuildServiceProvider().GetRequiredService<IMediator>();
    }
}
