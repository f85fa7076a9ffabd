using System.Diagnostics;
using System.Globalization;
using Profiler.Instrumentation;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// The cluster changing under a running ingest (issue 17, item 4), on a real local cluster: a primary killed and its
/// replica promoted by the cluster, a slot migrated with <c>MOVED</c> and <c>ASK</c> redirects. The points come from a
/// <see cref="TraceNotifier"/> (as an instrumented application sends them: batches, retries with backoff, one batch id
/// per batch) at a steady rate, and are counted back one by one. Waits ask the cluster (<c>CLUSTER NODES</c>,
/// <c>INFO</c>), never sleep a fixed time; their limits are generous for a loaded 2-core machine.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterFailoverTests(RedisCluster cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(5);

    private RedisClusterTopology Topology => cluster.Topology;

    public Task InitializeAsync() => cluster.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static TraceNotifierOptions NotifierOptions() => new()
    {
        BatchSize = 50, MinRetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromSeconds(1),
        FlushTimeout = TimeSpan.FromSeconds(30),
    };

    private static string[] Traces(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => $"{prefix}-{i.ToString(CultureInfo.InvariantCulture)}").ToArray();

    private static void WaitFor(Func<bool> condition, string what) =>
        SentinelTopology.WaitFor(condition, RedisClusterTopology.Patience, what);

    /// <summary>Every base id the store lists, page after page (each once, or the test fails).</summary>
    private static async Task<List<string>> ListAllAsync(ITraceStore store)
    {
        var seen = new List<string>();
        var query = new TraceListQuery(7);
        for (var pages = 1; ; pages++)
        {
            var page = await store.ListTracesAsync(query, CancellationToken.None);
            foreach (var trace in page.Traces)
            {
                Assert.DoesNotContain(trace.BaseId, seen);
                seen.Add(trace.BaseId);
            }
            Assert.True(pages < 1000, "paging does not end");
            if (page.NextCursor is null) return seen;
            query = query with { Cursor = page.NextCursor };
        }
    }

    /// <summary>
    /// Redis replicates asynchronously: a write the primary acknowledged a moment before SIGKILL may never reach its
    /// replica, and no client can get it back (the driver does not WAIT). What the driver and the notifier must do is
    /// lose nothing else: the batches in flight at the kill and everything buffered during the failover are retried
    /// until the promoted replica takes them. So the primary is first paused for writes (<c>CLIENT PAUSE … WRITE</c>:
    /// the notifier's batches to it hang, in flight) and killed once its replica has everything it acknowledged;
    /// points for the other primaries keep flowing meanwhile.
    /// </summary>
    [Fact]
    public async Task A_primary_killed_mid_ingest_loses_no_buffered_point_and_new_writes_after_the_failover_are_listed()
    {
        var logging = new TestOutputLoggerFactory(output);
        await using var store = cluster.Open(new DriverSettings { LoggerFactory = logging });
        var notifier = new TraceNotifier(RedisCluster.Mediator(store), NotifierOptions());
        var before = Traces("before-failover", 30);
        var after = Traces("after-failover", 30);
        var victim = Topology.PortOfKey("osprofiler_opt:" + before[0]);
        var replica = Topology.ReplicaOf(victim);
        var restarted = false;
        await using (var ingest = new SteadyIngest(notifier, before, Tick))
        {
            try
            {
                WaitFor(() => notifier.SentCount >= 400, "the first 400 points to be stored");
                RedisClusterTopology.Node(victim, "CLIENT", "PAUSE", "600000", "WRITE");
                Topology.WaitUntilReplicaCaughtUp(victim);
                var atKill = ingest.Operations;
                var clock = Stopwatch.StartNew();
                Topology.Kill(victim);

                Topology.WaitForPromotion(victim, replica);
                var atPromotion = ingest.Operations;
                output.WriteLine($"replica :{replica} took over from :{victim} {clock.ElapsedMilliseconds} ms after the kill; " +
                                 $"{atPromotion - atKill} operations written meanwhile; {notifier.QueuedCount} points queued");
                Assert.True(atPromotion > atKill, "the ingest kept writing through the failover");

                ingest.SwitchTo(after);
                WaitFor(() => ingest.Operations >= atPromotion + 300, "300 operations after the promotion");
                await ingest.StopAsync();
                Assert.True(await notifier.FlushAsync(RedisClusterTopology.Patience), $"the notifier did not drain: {notifier.QueuedCount} points queued");
                output.WriteLine($"{notifier.SentCount} points sent, {notifier.FailedAttempts} failed attempts retried");
                Assert.Equal((0, 0L, 0L), (ingest.Refused, notifier.DroppedCount, notifier.RejectedCount));
            }
            finally
            {
                await notifier.DisposeAsync();
                if (!Topology.IsRunning(victim))
                {
                    Topology.Restart(victim);
                    restarted = true;
                }
                else
                {
                    // Failed before the kill: the shared cluster must not keep a primary paused.
                    RedisClusterTopology.Node(victim, "CLIENT", "UNPAUSE");
                }
            }

            var counted = await ingest.AssertStoredExactlyOnceAsync(store);
            Assert.Equal(ingest.Operations * 2, counted);
            // The promoted replica holds its primary's share: read through its own URL too.
            await using var throughReplica = cluster.Open(url: RedisClusterTopology.NodeUrl(replica));
            Assert.Equal(counted, await ingest.AssertStoredExactlyOnceAsync(throughReplica));
            Assert.Equal(before.Concat(after).Order(StringComparer.Ordinal), (await ListAllAsync(store)).Order(StringComparer.Ordinal));
        }
        Assert.True(restarted, "the killed primary was restarted");
    }

    /// <summary>
    /// One trace's slot moved to another primary while points flow into it: the slot is set IMPORTING on the target and
    /// MIGRATING on the source, its keys moved with <c>MIGRATE</c>; writes then meet <c>ASK</c> (the source no longer
    /// has the keys; a script naming a key the target lacks meets <c>TRYAGAIN</c> there), until <c>SETSLOT … NODE</c>
    /// hands the slot over and a client with the old map meets <c>MOVED</c>. The window stays open until the source
    /// has answered <c>ASK</c> (its <c>INFO errorstats</c>), so the redirect is known to have been met.
    /// </summary>
    [Fact]
    public async Task A_slot_migrated_during_ingest_loses_nothing_through_ASK_and_MOVED()
    {
        var logging = new TestOutputLoggerFactory(output);
        await using var store = cluster.Open(new DriverSettings { LoggerFactory = logging });
        var notifier = new TraceNotifier(RedisCluster.Mediator(store), NotifierOptions());
        var others = Traces("steady", 9);
        var moved = "migrating-trace";
        var key = "osprofiler_opt:" + moved;
        var slot = Topology.SlotOf(key).ToString(CultureInfo.InvariantCulture);
        var source = Topology.PortOfKey(key);
        var target = Topology.PrimaryPorts().First(p => p != source);
        var (sourceId, targetId) = (RedisClusterTopology.NodeId(source), RedisClusterTopology.NodeId(target));
        var settled = true;
        // Moves what is left of the slot's keys, then hands the slot over: the target first, then the source, then the
        // third primary (the replicas learn it by gossip).
        void HandOver()
        {
            while (RedisClusterTopology.Node(source, "CLUSTER", "GETKEYSINSLOT", slot, "1000")
                       .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } batch)
                RedisClusterTopology.Node(source, ["MIGRATE", "127.0.0.1", target.ToString(CultureInfo.InvariantCulture), "", "0", "30000", "KEYS", .. batch]);
            RedisClusterTopology.Node(target, "CLUSTER", "SETSLOT", slot, "NODE", targetId);
            RedisClusterTopology.Node(source, "CLUSTER", "SETSLOT", slot, "NODE", targetId);
            foreach (var p in Topology.PrimaryPorts().Where(p => p != source && p != target))
                RedisClusterTopology.Node(p, "CLUSTER", "SETSLOT", slot, "NODE", targetId);
            settled = true;
        }
        // Every other operation goes into the trace whose slot moves.
        await using var ingest = new SteadyIngest(notifier, others.SelectMany(o => new[] { moved, o }).ToArray(), Tick);
        try
        {
            WaitFor(() => notifier.SentCount >= 400 && ingest.OperationsOf(moved) >= 100, "the first points of the trace to be stored");

            var asked = Errors(source, "ASK");
            settled = false;
            RedisClusterTopology.Node(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId);
            RedisClusterTopology.Node(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", targetId);
            var keys = 0;
            while (RedisClusterTopology.Node(source, "CLUSTER", "GETKEYSINSLOT", slot, "1000")
                       .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } batch)
            {
                RedisClusterTopology.Node(source, ["MIGRATE", "127.0.0.1", target.ToString(CultureInfo.InvariantCulture), "", "0", "30000", "KEYS", .. batch]);
                keys += batch.Length;
            }
            var duringMigration = ingest.OperationsOf(moved);
            WaitFor(() => Errors(source, "ASK") > asked && ingest.OperationsOf(moved) > duringMigration + 20,
                "the source to redirect writes of the migrating slot with ASK");
            output.WriteLine($"{keys} keys of slot {slot} migrated from :{source} to :{target}; the source answered ASK " +
                             $"{Errors(source, "ASK") - asked} times, the target TRYAGAIN {Errors(target, "TRYAGAIN")} times so far");

            HandOver();
            var handedOver = ingest.OperationsOf(moved);
            WaitFor(() => ingest.OperationsOf(moved) >= handedOver + 100, "100 more operations into the trace after the hand-over");
            await ingest.StopAsync();
            Assert.True(await notifier.FlushAsync(RedisClusterTopology.Patience), $"the notifier did not drain: {notifier.QueuedCount} points queued");
            output.WriteLine($"{notifier.SentCount} points sent, {notifier.FailedAttempts} failed attempts retried; " +
                             $"the source answered MOVED {Errors(source, "MOVED")} times");
            Assert.Equal((0, 0L, 0L), (ingest.Refused, notifier.DroppedCount, notifier.RejectedCount));
        }
        finally
        {
            await notifier.DisposeAsync();
            // Failed in the middle: the shared cluster must not keep a slot half migrated.
            if (!settled) HandOver();
        }

        Assert.Equal(ingest.Operations * 2, await ingest.AssertStoredExactlyOnceAsync(store));
        // The trace now lives on the target, whole, in OSProfiler's own key.
        Assert.Equal(target, Topology.PortOfKey(key));
        Assert.Equal((ingest.OperationsOf(moved) * 2).ToString(CultureInfo.InvariantCulture),
            RedisClusterTopology.Node(target, "LLEN", key).Trim());
        Assert.Equal(others.Append(moved).Order(StringComparer.Ordinal), (await ListAllAsync(store)).Order(StringComparer.Ordinal));
    }

    /// <summary>How many error replies of one kind (<c>ASK</c>, <c>MOVED</c>, <c>TRYAGAIN</c>) a node has given (<c>INFO errorstats</c>).</summary>
    private static long Errors(int port, string kind)
    {
        foreach (var line in RedisClusterTopology.Node(port, "INFO", "errorstats").Split('\n', StringSplitOptions.TrimEntries))
            if (line.StartsWith($"errorstat_{kind}:count=", StringComparison.Ordinal))
                return long.Parse(line[$"errorstat_{kind}:count=".Length..], CultureInfo.InvariantCulture);
        return 0;
    }
}
