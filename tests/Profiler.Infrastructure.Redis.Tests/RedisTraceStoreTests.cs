using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>The driver contract on a real redis-server: database 0 flushed before each test.</summary>
public sealed class RedisTraceStoreTests(RedisServer server) : TraceStoreContract, IClassFixture<RedisServer>
{
    protected override string FixtureBackend => "redis";

    protected override async Task<ITraceStore> CreateStoreAsync(DriverSettings settings)
    {
        await server.FlushAsync();
        return server.Open(settings);
    }
}
