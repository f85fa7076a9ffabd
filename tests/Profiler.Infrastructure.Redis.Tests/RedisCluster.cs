using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// A real local Redis Cluster (<see cref="RedisClusterTopology"/>: three primaries, three replicas) for a test class or
/// collection, with a cluster-aware admin client (<see cref="Admin"/>, StackExchange.Redis: it follows MOVED and ASK
/// itself) for arranging and inspecting keys. Stores open on the seed list naming every node (<see cref="Url"/>) or on
/// one node's URL (<see cref="RedisClusterTopology.NodeUrl"/>); both must reach the whole cluster.
/// </summary>
public sealed class RedisCluster : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _admin;

    public RedisCluster()
    {
        Topology = new RedisClusterTopology();
        _admin = new Lazy<ConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(AdminOptions(Topology)));
    }

    /// <summary>An admin client's options for every node of <paramref name="topology"/>, with timeouts that survive a loaded machine.</summary>
    internal static ConfigurationOptions AdminOptions(RedisClusterTopology topology)
    {
        var config = new ConfigurationOptions { AllowAdmin = true, ConnectTimeout = 30_000, SyncTimeout = 30_000, AsyncTimeout = 30_000 };
        foreach (var port in topology.Ports) config.EndPoints.Add("127.0.0.1", port);
        return config;
    }

    public RedisClusterTopology Topology { get; }

    public ConnectionMultiplexer Admin => _admin.Value;

    public IDatabase Db() => Admin.GetDatabase();

    /// <summary>The seed list naming every node, plus an optional query.</summary>
    public string Url(string query = "") => Topology.Url(query);

    /// <summary>Empties every primary (<c>FLUSHALL</c>; their replicas follow), waiting until each is empty.</summary>
    public async Task FlushAsync()
    {
        foreach (var port in Topology.PrimaryPorts())
            await Admin.GetServer("127.0.0.1", port).FlushAllDatabasesAsync();
    }

    /// <summary>A store on the seed list (or on <paramref name="url"/>, e.g. one node's).</summary>
    public ITraceStore Open(DriverSettings? settings = null, string? url = null) =>
        new RedisDriver().Open(ConnectionString.Parse(url ?? Url()), settings ?? new DriverSettings());

    /// <summary>A mediator with the real RecordTracePoints handler and validation over <paramref name="store"/>, for a <see cref="Profiler.Instrumentation.TraceNotifier"/>.</summary>
    public static IMediator Mediator(ITraceStore store)
    {
        var services = new ServiceCollection();
        services.AddSingleton(store);
        services.AddApplicationServices();
        return services.BuildServiceProvider().GetRequiredService<IMediator>();
    }

    public void Dispose()
    {
        if (_admin.IsValueCreated) _admin.Value.Dispose();
        Topology.Dispose();
    }
}

/// <summary>
/// One cluster shared by the cluster classes that leave it whole (failover, resharding, OSProfiler interop, forming):
/// they run one after another, each starting from an empty cluster. The contract suite has its own.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisCluster>
{
    public const string Name = "redis cluster";
}
