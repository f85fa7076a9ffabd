using System.Diagnostics;
using System.Runtime;
using System.Text.Json.Nodes;
using MediatR;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Domain;

namespace Profiler.Cli.Commands.Bench;

/// <summary>Writes points through the RecordTracePoints use case in batches from concurrent writers, timing each batch.</summary>
internal static class BenchWriter
{
    /// <summary>
    /// Writes <paramref name="points"/> in batches of <see cref="BenchSettings.BatchSize"/> from
    /// <see cref="BenchSettings.Concurrency"/> writers. Besides the rate, the client's side of it: CPU of this whole
    /// process (writers, driver, runtime), garbage collections (gen 0, 1, 2), bytes allocated, the JIT's compile time and
    /// the thread pool's work items while the points were written, so that a run on a busy machine can still be compared.
    /// </summary>
    public static async Task<BenchFigures> WriteAsync(IMediator mediator, List<TracePoint> points, BenchSettings s, bool progress, CancellationToken ct)
    {
        var batches = points.Chunk(s.BatchSize).ToList();
        var latencies = new double[batches.Count];
        var next = -1;
        var done = 0L;
        // The points were just built (a million of them hold some 250 MB): collected now, untimed, they are promoted to
        // the oldest generation before the clock starts. Otherwise the first collections of the run copy them from
        // generation to generation (a full, compacting collection of that heap paused the writers some 100-300 ms in a
        // 1-2 s run), and the figures measure the bench's own data instead of the store's writes.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        int[] collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var jit = JitInfo.GetCompilationTime();
        var workItems = ThreadPool.CompletedWorkItemCount;
        var watch = Stopwatch.StartNew();
        using var bar = progress && s.ShowProgress ? new ProgressBar(points.Count) : null;
        await Task.WhenAll(Enumerable.Range(0, s.Concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count)
            {
                var t = Stopwatch.GetTimestamp();
                await mediator.Send(new RecordTracePointsCommand(batches[i]), ct);
                latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                bar?.Report(Interlocked.Add(ref done, batches[i].Length));
            }
        }, ct)));
        var seconds = watch.Elapsed.TotalSeconds;
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        return new BenchFigures(points.Count, seconds, [.. latencies], [])
        {
            Extra = new JsonObject
            {
                ["cpu_seconds"] = Math.Round(cpu.TotalSeconds, 3),
                ["gc_collections"] = new JsonArray(Enumerable.Range(0, 3).Select(g => (JsonNode)(GC.CollectionCount(g) - collections[g])).ToArray()),
                ["allocated_bytes"] = GC.GetTotalAllocatedBytes(precise: true) - allocated,
                ["jit_seconds"] = Math.Round((JitInfo.GetCompilationTime() - jit).TotalSeconds, 3),
                ["threadpool_work_items"] = ThreadPool.CompletedWorkItemCount - workItems,
            },
        };
    }
}
