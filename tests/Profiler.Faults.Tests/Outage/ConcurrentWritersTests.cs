using System.Collections.Concurrent;
using System.Diagnostics;
using Profiler.Domain;
using Profiler.Infrastructure.Redis;
using Profiler.Infrastructure.Sql;
using Profiler.Instrumentation;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Outage;

/// <summary>
/// Issue 8 concurrency: 16 writers (8 threads, 8 async flows) × 50,000 points each through one notifier (the
/// <c>AddProfiler</c> wiring) into a real store: every point stored exactly once, every report whole.
/// </summary>
public sealed class ConcurrentWritersTests(ITestOutputHelper output)
{
    private const int Writers = 16;
    private const int PointsPerWriter = 50_000;
    /// <summary>Scopes per trace: 800 traces of 1,000 points.</summary>
    private const int ScopesPerTrace = 500;
    private const int BatchSize = 2_000;

    private async Task RunAsync(string storeName, ITraceStore store)
    {
        await using var service = new ProfiledService(store, bufferSize: 200_000, batchSize: BatchSize);
        var notifier = service.Notifier;
        var traces = new ConcurrentBag<string>();
        var errors = new ConcurrentQueue<Exception>();
        var waits = 0L;

        // A writer that finds the buffer three-quarters full yields until it drains: the test is about concurrency,
        // not drops (those are the outage tests').
        void Backpressure()
        {
            while (notifier.QueuedCount > 150_000)
            {
                Interlocked.Increment(ref waits);
                Thread.Sleep(1);
            }
        }

        void Write(int writer)
        {
            for (var t = 0; t < PointsPerWriter / 2 / ScopesPerTrace; t++)
            {
                var profiler = new TraceProfiler(null, notifier, host: $"writer-{writer}");
                traces.Add(profiler.BaseId);
                // Nested: a request scope around 249 db scopes, plus one more top-level scope: 500 scopes, 1,000 points.
                using (profiler.Trace("request"))
                    for (var i = 0; i < ScopesPerTrace - 2; i++)
                    {
                        using (profiler.Trace("db")) { }
                        if (i % 100 == 0) Backpressure();
                    }
                using (profiler.Trace("tail")) { }
                Backpressure();
            }
        }

        async Task WriteAsync(int writer)
        {
            for (var t = 0; t < PointsPerWriter / 2 / ScopesPerTrace; t++)
            {
                var profiler = new TraceProfiler(null, notifier, host: $"writer-{writer}");
                traces.Add(profiler.BaseId);
                using (profiler.Trace("request"))
                    for (var i = 0; i < ScopesPerTrace - 2; i++)
                    {
                        using (profiler.Trace("db"))
                            if (i % 50 == 0) await Task.Yield();
                    }
                using (profiler.Trace("tail")) { }
                while (notifier.QueuedCount > 150_000)
                {
                    Interlocked.Increment(ref waits);
                    await Task.Delay(1);
                }
            }
        }

        var clock = Stopwatch.StartNew();
        var tasks = new List<Task>();
        for (var w = 0; w < Writers / 2; w++)
        {
            var writer = w;
            var thread = new Thread(() =>
            {
                try { Write(writer); }
                catch (Exception e) { errors.Enqueue(e); }
            }) { IsBackground = true };
            thread.Start();
            tasks.Add(Task.Run(thread.Join));
        }
        for (var w = Writers / 2; w < Writers; w++)
        {
            var writer = w;
            tasks.Add(Task.Run(async () =>
            {
                try { await WriteAsync(writer); }
                catch (Exception e) { errors.Enqueue(e); }
            }));
        }
        await Task.WhenAll(tasks);
        var generatedIn = clock.Elapsed;
        Assert.True(await notifier.FlushAsync(TimeSpan.FromMinutes(3)), $"not flushed: {notifier.QueuedCount} queued");
        var storedIn = clock.Elapsed;

        var read = Stopwatch.StartNew();
        var stored = await StoredCount.ReadAsync(store, traces);
        var distinctTraceIds = new HashSet<string>();
        foreach (var id in traces)
            await foreach (var p in store.ReadTraceAsync(id, CancellationToken.None))
                if (p.Name.EndsWith("-start", StringComparison.Ordinal)) distinctTraceIds.Add(p.TraceId);
        read.Stop();

        const long generated = (long)Writers * PointsPerWriter;
        Figures.Print(output, $"{Writers} concurrent writers (8 threads, 8 async flows) × {PointsPerWriter:N0} points into {storeName}:",
            ("traces", traces.Count),
            ("points generated", generated),
            ("points stored", stored.Points),
            ("points stored (distinct)", stored.Distinct),
            ("points lost", generated - stored.Distinct),
            ("points stored twice", stored.Duplicates),
            ("points dropped", notifier.DroppedCount),
            ("failed writes retried", notifier.FailedAttempts),
            ("distinct trace ids", distinctTraceIds.Count),
            ("reports with a node missing start/stop", stored.BrokenNodes),
            ("writer back-pressure waits", waits),
            ("generated in", Figures.Ms(generatedIn)),
            ("all stored after", Figures.Ms(storedIn)),
            ("store throughput", $"{generated / storedIn.TotalSeconds:N0} points/s"),
            ("read back and checked in", Figures.Ms(read.Elapsed)),
            ("exceptions", errors.Count));

        Assert.Empty(errors);
        Assert.Equal(Writers * PointsPerWriter / 2 / ScopesPerTrace, traces.Distinct().Count());
        Assert.Equal(0, notifier.DroppedCount);
        Assert.Equal(0, notifier.RejectedCount);
        Assert.Equal(generated, notifier.SentCount);
        Assert.Equal(generated, stored.Distinct);
        // Delivery is at least once: a batch whose write timed out after the server applied it is sent again.
        // A duplicate is only allowed where a write failed and was retried, and never more than those batches held.
        Assert.True(stored.Duplicates <= notifier.FailedAttempts * BatchSize,
            $"{stored.Duplicates} points stored twice with {notifier.FailedAttempts} failed writes");
        Assert.Equal(generated + stored.Duplicates, stored.Points);
        Assert.Equal(generated / 2, distinctTraceIds.Count);
        Assert.Equal(0, stored.Unreadable);
        Assert.Equal(0, stored.BrokenNodes);
    }

    [Fact]
    public async Task Sixteen_writers_of_50000_points_each_store_every_point_exactly_once_in_Redis()
    {
        using var redis = new RedisProcess();
        // Concurrency, not timeouts, is the subject: the store's own reads of 800 traces must not time out on a busy machine.
        await using var store = new RedisDriver().Open(ConnectionString.Parse(redis.Url()), Patient.Settings);
        await RunAsync("Redis", store);
    }

    [Fact]
    public async Task Sixteen_writers_of_50000_points_each_store_every_point_exactly_once_in_SQLite()
    {
        using var dir = new TempDirectory("profiler-concurrency-");
        await using var store = new SqliteDriver().Open(ConnectionString.Parse($"sqlite:///{dir.Path}/traces.db"), new DriverSettings());
        await RunAsync("SQLite", store);
    }

    [Fact]
    public async Task Sixteen_writers_of_50000_points_each_store_every_point_exactly_once_in_MariaDB()
    {
        using var server = new MariaDbServer();
        await using var store = new MySqlDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase())), new DriverSettings());
        await RunAsync("MariaDB", store);
    }

    [Fact]
    public async Task Sixteen_writers_of_50000_points_each_store_every_point_exactly_once_in_PostgreSQL()
    {
        using var server = new PostgresServer();
        await using var store = new PostgresDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase())), new DriverSettings());
        await RunAsync("PostgreSQL", store);
    }
}
