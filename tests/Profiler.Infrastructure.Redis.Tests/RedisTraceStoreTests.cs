using Profiler.Storage;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>The driver contract on a real redis-server: database 0 flushed before each test.</summary>
public sealed class RedisTraceStoreTests(RedisServer server) : TraceStoreContract, IClassFixture<RedisServer>
{
    protected override string FixtureBackend => "redis";

    // Delete, pin, prune and statistics (issue 15).
    protected override bool SupportsLifecycle => true;

    // Filters, counts and summaries (issue 16, docs/search.md).
    protected override bool SupportsSearch => true;

    // Errors are listed from the osprofiler_error: index, which only filter_error_trace writes (as OSProfiler).
    protected override bool ErrorsListedWithoutFilterErrorTrace => false;

    // The listing reads each trace's first stored point (its list's tail), not the whole list.
    protected override bool EarliestIsFirstStored => true;

    // As OSProfiler's collector: one LPUSH of the point's document per point, nothing else.
    protected override async Task WriteAsOsProfilerAsync(ITraceStore store, IReadOnlyList<Profiler.Domain.TracePoint> points)
    {
        foreach (var p in points)
            await server.Db().ListLeftPushAsync("osprofiler_opt:" + p.BaseId, Profiler.Domain.TracePointJson.ToUtf8(p, null, null));
    }

    protected override async Task<ITraceStore> CreateStoreAsync(DriverSettings settings)
    {
        await server.FlushAsync();
        return server.Open(settings);
    }
}
