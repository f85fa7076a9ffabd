using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Profiler.Storage;

/// <summary>
/// Settings a driver opens a store with (<see cref="ITraceStoreDriver.Open"/>), taken from the host's configuration:
/// OSProfiler's <c>[profiler]</c> keys. A connection string's query options may override them where a driver says so.
/// </summary>
public sealed record DriverSettings
{
    /// <summary>Network timeout for one store operation (<c>socket_timeout</c>). Default 0.1 s, as OSProfiler.</summary>
    public TimeSpan SocketTimeout { get; init; } = TimeSpan.FromSeconds(0.1);

    /// <summary>Redis Sentinel master name (<c>sentinel_service_name</c>). Default <c>mymaster</c>.</summary>
    public string SentinelServiceName { get; init; } = "mymaster";

    /// <summary>
    /// Keep an index of the traces that hold an error (<c>filter_error_trace</c>; Redis's <c>osprofiler_error:</c>
    /// keys). Default false. Drivers that can query errors directly (SQL) list them whether or not this is set.
    /// </summary>
    public bool FilterErrorTrace { get; init; }

    /// <summary>Project stored with points that carry none (<c>project</c>). Default null.</summary>
    public string? Project { get; init; }

    /// <summary>Service stored with points that carry none (<c>service</c>). Default null.</summary>
    public string? Service { get; init; }

    /// <summary>Host stored with points that carry none (<c>host</c>); a point's own host always wins. Default null.</summary>
    public string? Host { get; init; }

    /// <summary>
    /// Retention (<c>ttl</c>; a connection string's <c>ttl</c> option overrides it): how long a trace is kept after its
    /// last write. Default null: forever, as OSProfiler. Redis gives every trace key an expiry refreshed by each write;
    /// SQL stores are pruned to it by their host (<see cref="ITraceStorePruning"/>). Pinned traces are kept.
    /// </summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Where the driver logs. Default <see cref="NullLoggerFactory.Instance"/>: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}
