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

    /// <summary>
    /// <paramref name="items"/> grouped by the hash slot of their key, in first-seen order within each group: one group
    /// on a single server (any keys may go together there), one per slot on a cluster.
    /// </summary>
    public static IEnumerable<List<T>> BySlot<T>(IConnectionMultiplexer multiplexer, IReadOnlyList<T> items, Func<T, RedisKey> key)
    {
        if (!IsCluster(multiplexer))
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
