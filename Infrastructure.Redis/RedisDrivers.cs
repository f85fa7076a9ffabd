using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Redis, OSProfiler's default collector: <c>redis://[[user]:password@]host[:port][/db]</c> (port 6379, db 0 by
/// default) and <c>rediss://…</c>, the same over TLS. Query options: <c>socket_timeout</c> (seconds; default
/// <see cref="DriverSettings.SocketTimeout"/>, 0.1) and <c>filter_error_trace</c> (default
/// <see cref="DriverSettings.FilterErrorTrace"/>, false) and <c>ttl</c> (expiry of the trace keys each write touches,
/// e.g. <c>7d</c>; default <see cref="DriverSettings.Ttl"/>, none). One connection per store, opened on first use.
/// A host that is a Redis Cluster node makes the store a cluster store (found on connect); several comma-separated
/// hosts are a cluster's seed nodes, <c>redis://[[user]:password@]host[:port][,host[:port]…]</c> (database 0 only).
/// </summary>
public sealed class RedisDriver : ITraceStoreDriver
{
    public string Name => "redis";
    public IReadOnlyList<string> Schemes { get; } = ["redis", "rediss"];

    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) =>
        new RedisTraceStore(RedisStoreOptions.Create(connectionString, settings), settings.LoggerFactory);
}

/// <summary>
/// Redis behind Sentinel: <c>redissentinel://[[user]:password@]host[:port][,host[:port]…][/db]</c> where each host is a
/// sentinel (port 26379 by default) and the password is the master's (sentinels are reached without one, as
/// OSProfiler does). Query options: <c>sentinel_service_name</c> (the monitored master; default
/// <see cref="DriverSettings.SentinelServiceName"/>, <c>mymaster</c>), <c>socket_timeout</c> (default 0.1 s) and
/// <c>filter_error_trace</c> (default false) and <c>ttl</c> (default none). The store follows a failover to the new master.
/// </summary>
public sealed class RedisSentinelDriver : ITraceStoreDriver
{
    public string Name => "redissentinel";
    public IReadOnlyList<string> Schemes { get; } = ["redissentinel"];

    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) =>
        new RedisTraceStore(RedisStoreOptions.Create(connectionString, settings), settings.LoggerFactory);
}
