using System.Runtime.CompilerServices;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Application.Tests.Traces;

/// <summary>A fake store for use-case tests only (drivers are tested against real servers).</summary>
internal sealed class InMemoryTraceStore : ITraceStore
{
    public List<IReadOnlyList<TracePoint>> Batches { get; } = [];
    public Exception? FailWith { get; set; }
    public TraceListQuery? LastListQuery { get; private set; }

    public Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        if (FailWith is not null) throw FailWith;
        Batches.Add(points.ToList());
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var p in Batches.SelectMany(b => b).Where(p => p.BaseId == baseId))
            yield return StoredPoint.FromDocument(System.Text.Encoding.UTF8.GetString(TracePointJson.ToUtf8(p)));
    }

    public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken)
    {
        LastListQuery = query;
        if (query.ErrorsOnly) return ListErrors();
        var traces = Batches.SelectMany(b => b).GroupBy(p => p.BaseId)
            .Select(g => new TraceSummary(g.Key, g.Min(p => p.Timestamp)!, new Dictionary<string, string?>()))
            .OrderByDescending(t => t.Timestamp).Take(query.Limit).ToList();
        return Task.FromResult(new TracePage(traces, null));
    }

    private Task<TracePage> ListErrors()
    {
        var ids = Batches.SelectMany(b => b).Where(p => p.ErrorType is not null).Select(p => p.BaseId).ToHashSet();
        return Task.FromResult(new TracePage(
            ids.Select(id => new TraceSummary(id, "", new Dictionary<string, string?>())).ToList(), null));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
