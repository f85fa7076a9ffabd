using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// What the store is connected to, as StackExchange.Redis found it: one server (or a Sentinel-chosen master) or a Redis
/// Cluster, whose keys live in 16,384 hash slots spread over several primaries. A command or script may only name keys
/// of one slot there (<see cref="BySlot{T}"/>).
/// </summary>
internal static class RedisTopology
{
    /// <summary>Whether the multiplexer found a Redis Cluster (a node answered <c>CLUSTER NODES</c> with cluster mode on).</summary>
    public static bool IsCluster(IConnectionMultiplexer multiplexer)
    {
        foreach (var server in multiplexer.GetServers())
            if (server.ServerType == ServerType.Cluster) return true;
        return false;
    }

    /// <summary>Slots of a Redis Cluster.</summary>
    public const int SlotCount = 16_384;

    /// <summary>
    /// The primaries of a Redis Cluster that serve slots now, as the multiplexer last read the cluster's layout
    /// (<c>CLUSTER NODES</c>, which it reads on connect and again when told a slot moved or a node failed): each key
    /// lives on exactly one of them. A layout in which some slots have no reachable primary is read again once.
    /// </summary>
    /// <exception cref="RedisConnectionException">Some slots still have no reachable primary (one failed and its
    /// replica is not promoted yet): a failover, which <see cref="RedisConnection.RunAsync{T}"/> waits out.</exception>
    public static async Task<IServer[]> PrimariesAsync(IConnectionMultiplexer multiplexer)
    {
        if (Primaries(multiplexer, out _) is { } primaries) return primaries;
        // StackExchange.Redis reads CLUSTER NODES itself (its own ClusterNodes command needs AllowAdmin, which this
        // driver leaves off): have it read the layout again.
        await multiplexer.ConfigureAsync().ConfigureAwait(false);
        return Primaries(multiplexer, out var missing)
               ?? throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None,
                   $"{missing} of the Redis Cluster's {SlotCount} slots have no reachable primary.", null, CommandStatus.Unknown);
    }

    /// <summary>
    /// The primaries serving every slot, by the first layout a connected primary gave that has a connected primary
    /// (as StackExchange.Redis last saw its role) for every slot; null, with how many slots the best layout lacks, when
    /// none does. Each node keeps the layout it last reported, so one that has not reported since a failover still
    /// names the old primary: another's layout is tried.
    /// </summary>
    private static IServer[]? Primaries(IConnectionMultiplexer multiplexer, out int missing)
    {
        missing = SlotCount;
        foreach (var origin in multiplexer.GetServers())
        {
            if (!origin.IsConnected || origin.IsReplica || origin.ClusterConfiguration is not { } layout) continue;
            var primaries = new List<IServer>();
            var served = 0;
            foreach (var node in layout.Nodes)
            {
                if (node.IsReplica || node.IsFail || node.IsNoAddr || node.Slots.Count == 0 || node.EndPoint is null) continue;
                IServer server;
                try
                {
                    server = multiplexer.GetServer(node.EndPoint);
                }
                catch (ArgumentException)
                {
                    continue; // a node the multiplexer has not added yet: its slots count as unreachable until it has
                }
                // A primary the multiplexer lost, or knows to be a replica now (demoted, rejoined), serves nothing.
                if (!server.IsConnected || server.IsReplica) continue;
                foreach (var range in node.Slots) served += range.To - range.From + 1;
                primaries.Add(server);
            }
            if (served >= SlotCount)
            {
                missing = 0;
                return [.. primaries];
            }
            missing = Math.Min(missing, SlotCount - served);
        }
        return null;
    }

    /// <summary>
    /// <paramref name="items"/> grouped by the hash slot of their key, in first-seen order within each group: one group
    /// on a single server (any keys may go together there), one per slot on a <paramref name="cluster"/>.
    /// </summary>
    public static IEnumerable<List<T>> BySlot<T>(IConnectionMultiplexer multiplexer, bool cluster, IReadOnlyList<T> items, Func<T, RedisKey> key)
    {
        if (!cluster)
        {
            yield return items as List<T> ?? [.. items];
            yield break;
        }
        var groups = new Dictionary<int, List<T>>();
        foreach (var item in items)
        {
            var slot = multiplexer.HashSlot(key(item));
            if (!groups.TryGetValue(slot, out var group)) groups[slot] = group = [];
            group.Add(item);
        }
        foreach (var group in groups.Values) yield return group;
    }
}
