using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// One real Redis Cluster (<see cref="RedisClusterTopology"/>: three primaries, three replicas) shared by the cluster
/// connection and reads tests (starting one is slow), with a direct client for arranging keys.
/// </summary>
public sealed class RedisClusterReadsFixture : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _admin;

    public RedisClusterReadsFixture()
    {
        Cluster = new RedisClusterTopology();
        _admin = new Lazy<ConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(RedisCluster.AdminOptions(Cluster)));
    }

    public RedisClusterTopology Cluster { get; }

    /// <summary>A client of the cluster's own, for arranging and inspecting keys (each command goes to its key's primary).</summary>
    public IDatabase Db => _admin.Value.GetDatabase();

    /// <summary>The primary that holds <paramref name="key"/>, as the direct client routes it.</summary>
    public string PrimaryOf(string key) => Db.IdentifyEndpoint(key)!.ToString()!;

    /// <summary>Empties every primary, so that a test lists only what it wrote.</summary>
    public async Task FlushAsync()
    {
        foreach (var server in _admin.Value.GetServers())
            if (!server.IsReplica) await server.FlushAllDatabasesAsync();
    }

    /// <summary>The driver's parts for a URL, built as <see cref="RedisTraceStore"/> builds them, minus the search layer.</summary>
    internal static ClusterParts Open(string url, DriverSettings? settings = null, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        var options = RedisStoreOptions.Create(ConnectionString.Parse(url), settings ?? new DriverSettings());
        var connection = new RedisConnection(options, logger);
        return new ClusterParts(options, connection, new RedisTraceLister(options, connection, logger),
            new RedisTraceReader(connection), new RedisTraceLifecycle(options, connection));
    }

    public void Dispose()
    {
        if (_admin.IsValueCreated) _admin.Value.Dispose();
        Cluster.Dispose();
    }
}

/// <summary>The lister, reader and statistics of one store, over one connection.</summary>
internal sealed record ClusterParts(
    RedisStoreOptions Options, RedisConnection Connection, RedisTraceLister Lister, RedisTraceReader Reader, RedisTraceLifecycle Lifecycle)
    : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class RedisClusterReadsCollection : ICollectionFixture<RedisClusterReadsFixture>
{
    public const string Name = "Redis Cluster reads";
}
