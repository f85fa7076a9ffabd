using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Profiler.Domain;

namespace Profiler.Storage;

/// <summary>
/// What a storage plugin exports. The host finds every public, non-abstract class implementing this
/// interface with a public parameterless constructor in <c>plugins/&lt;Name&gt;/&lt;Name&gt;.dll</c>, and
/// picks the driver whose <see cref="Schemes"/> hold the connection string's scheme.
/// </summary>
/// <remarks>
/// A plugin references <c>Profiler.Application</c> with <c>Private=false</c> and
/// <c>ExcludeAssets=runtime</c> and sets <c>EnableDynamicLoading</c>; only this contract, the domain
/// types it uses and Microsoft.Extensions.Logging's abstractions are shared with the host.
/// </remarks>
public interface ITraceStoreDriver
{
    /// <summary>Short name shown by <c>profiler drivers</c>, e.g. <c>sqlite</c>.</summary>
    string Name { get; }

    /// <summary>Lower-case URL schemes served, e.g. <c>redis</c>, <c>rediss</c>.</summary>
    IReadOnlyList<string> Schemes { get; }

    /// <summary>
    /// Opens a store. Must not block on the network: connect lazily or within
    /// <see cref="DriverSettings.SocketTimeout"/>. Throws <see cref="FormatException"/> for options it cannot
    /// accept and <see cref="TraceStoreException"/> for a store it cannot use, naming the value (password redacted).
    /// </summary>
    ITraceStore Open(ConnectionString connectionString, DriverSettings settings);
}

/// <summary>Settings a driver opens a store with; the connection string's query may override them.</summary>
public sealed class DriverSettings
{
    /// <summary>Network timeout for one operation. Default 0.1 s (OSProfiler's <c>socket_timeout</c>).</summary>
    public TimeSpan SocketTimeout { get; init; } = TimeSpan.FromSeconds(0.1);

    /// <summary>Redis Sentinel master name. Default <c>mymaster</c>.</summary>
    public string SentinelServiceName { get; init; } = "mymaster";

    /// <summary>Keep an index of traces that hold an error (Redis <c>osprofiler_error:</c> keys). Default false.</summary>
    public bool FilterErrorTrace { get; init; }

    /// <summary>Project stored with points that carry none. Default null.</summary>
    public string? Project { get; init; }

    /// <summary>Service stored with points that carry none. Default null.</summary>
    public string? Service { get; init; }

    /// <summary>Host stored in SQL's <c>host</c> column for points whose <c>info</c> has none. Default null.</summary>
    public string? Host { get; init; }

    /// <summary>Where the driver logs. Default: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}

/// <summary>
/// The store failed or cannot be used: unreachable, refused, too old, missing privileges. The message is
/// safe to show a user: it names the store (password redacted) and what would fix it.
/// </summary>
public class TraceStoreException : Exception
{
    public TraceStoreException(string message) : base(message) { }
    public TraceStoreException(string message, Exception? inner) : base(message, inner) { }
}
