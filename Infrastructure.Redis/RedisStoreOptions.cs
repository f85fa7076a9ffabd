using System.Globalization;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Everything a Redis store is opened with: the parsed connection string (docs/osprofiler-formats.md §2) merged with the driver
/// settings, which the connection string's query overrides.
/// </summary>
/// <remarks>
/// URLs: <c>redis://[[user]:password@]host[:port][,host[:port]…][/db]</c> (port 6379, db 0 by default), <c>rediss://…</c>
/// (the same over TLS) and <c>redissentinel://[[user]:password@]host[:port][,host[:port]…][/db]</c> where each host is a sentinel
/// (port 26379 by default) and the password is the master's. Query options: <c>socket_timeout</c> (seconds, default
/// <see cref="DriverSettings.SocketTimeout"/> = 0.1), <c>sentinel_service_name</c> (default
/// <see cref="DriverSettings.SentinelServiceName"/> = <c>mymaster</c>), <c>filter_error_trace</c> (default
/// <see cref="DriverSettings.FilterErrorTrace"/> = false); for <c>rediss://</c> also <c>ssl_ca_certs</c> (PEM file of
/// the CAs to trust; default the system's) and <c>ssl_cert_reqs</c> (<c>required</c>, the default, or <c>none</c>),
/// named as redis-py names them; and <c>ttl</c> (a <see cref="RetentionPeriod"/>: <c>90s</c>, <c>12h</c>, <c>7d</c> or
/// seconds; default <see cref="DriverSettings.Ttl"/> = none), the expiry every write gives the trace keys it touches.
/// <para>A <c>redis://</c> or <c>rediss://</c> host may be a Redis Cluster node: the connection finds out on connect
/// (<see cref="Cluster"/>) and then reaches every node. Several hosts are a cluster's seed nodes (any one reachable
/// suffices); that they are one is checked on connect, as is that a cluster is asked for database 0, its only one.</para>
/// </remarks>
internal sealed class RedisStoreOptions
{
    public const int DefaultPort = 6379;
    public const int DefaultSentinelPort = 26379;

    /// <summary>Query options the Redis drivers accept.</summary>
    public static readonly IReadOnlyList<string> KnownOptions =
        ["socket_timeout", "sentinel_service_name", "filter_error_trace", "ssl_ca_certs", "ssl_cert_reqs", "ttl"];

    private RedisStoreOptions(ConnectionString connectionString) => ConnectionString = connectionString;

    public ConnectionString ConnectionString { get; }
    public bool Sentinel { get; private init; }
    public bool Tls { get; private init; }
    /// <summary>PEM file of the CAs a TLS server's certificate must chain to (<c>ssl_ca_certs</c>); null: the system's.</summary>
    public string? CaCertificatesFile { get; private init; }
    /// <summary>Whether a TLS server's certificate is checked (<c>ssl_cert_reqs</c>, default required).</summary>
    public bool VerifyCertificate { get; private init; } = true;
    /// <summary>The Redis server, the seed nodes of a Redis Cluster, or the sentinels, with default ports filled in.</summary>
    public IReadOnlyList<HostPort> Endpoints { get; private init; } = [];
    public int Database { get; private init; }
    public TimeSpan SocketTimeout { get; private init; }
    public string ServiceName { get; private init; } = "mymaster";
    public bool FilterErrorTrace { get; private init; }

    /// <summary>
    /// Whole seconds of <c>EXPIRE</c> each write gives the keys it touches (<c>ttl</c> option, else
    /// <see cref="DriverSettings.Ttl"/>, rounded up to a second); null: no expiry, as OSProfiler.
    /// </summary>
    public long? TtlSeconds { get; private init; }
    public string? Project { get; private init; }
    public string? Service { get; private init; }

    /// <summary>Host put into <c>info.host</c> of points that carry none (<see cref="DriverSettings.Host"/>).</summary>
    public string? Host { get; private init; }

    /// <summary>
    /// Whether the connection found a Redis Cluster (set on connect, never cleared): <see cref="Describe"/> then names
    /// the mode. False until a connection is made.
    /// </summary>
    public bool Cluster
    {
        get => Volatile.Read(ref _cluster);
        internal set => Volatile.Write(ref _cluster, value);
    }

    private bool _cluster;

    /// <summary>Several hosts in a <c>redis://</c> or <c>rediss://</c> URL: the seed nodes of a Redis Cluster.</summary>
    public bool SeedList => !Sentinel && Endpoints.Count > 1;

    /// <summary>
    /// The store as users should see it: the mode (<c>Redis</c>, <c>Redis Cluster</c> once the connection found one,
    /// <c>Redis Sentinel</c>) and the connection string, password redacted.
    /// </summary>
    public string Describe() => Sentinel
        ? $"Redis Sentinel {ConnectionString} (service '{ServiceName}')"
        : Cluster ? $"Redis Cluster {ConnectionString}" : $"Redis {ConnectionString}";

    /// <summary>
    /// Reads the connection string; throws <see cref="FormatException"/> naming the redacted value and what would be
    /// accepted.
    /// </summary>
    public static RedisStoreOptions Create(ConnectionString cs, DriverSettings settings)
    {
        var sentinel = cs.Scheme == "redissentinel";
        if (cs.Scheme is not ("redis" or "rediss" or "redissentinel"))
            throw new FormatException($"Connection string {cs} is not a Redis URL: use redis://, rediss:// or redissentinel://.");
        if (cs.Hosts.Count == 0)
            throw new FormatException(
                $"Connection string {cs} names no host: use {cs.Scheme}://[:password]@host[:port][/db]" +
                (sentinel ? " with one or more comma-separated sentinels, e.g. redissentinel://127.0.0.1:26379,127.0.0.2:26379/0." : ", e.g. redis://127.0.0.1:6379/0."));
        foreach (var key in cs.Query.Keys)
            if (!KnownOptions.Contains(key))
                throw new FormatException(
                    $"Connection string option '{Show(key)}' is not known in {cs}: use {string.Join(", ", KnownOptions)}.");

        var database = 0;
        if (!string.IsNullOrEmpty(cs.Path)
            && (!int.TryParse(cs.Path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 100_000))
            throw new FormatException(
                $"Redis database '{Show(cs.Path)}' in {cs} is not a database number: use /0, /1, … after the host.");
        if (!sentinel && cs.Hosts.Count > 1 && database != 0)
            throw new FormatException(
                $"Redis database {database} in {cs} cannot be used: several hosts are the seed nodes of a Redis Cluster, which " +
                "has only database 0. Use /0 (or no database), or name one server to use its database " + database + ".");

        var serviceName = cs.Query.TryGetValue("sentinel_service_name", out var name) ? name : settings.SentinelServiceName;
        if (string.IsNullOrWhiteSpace(serviceName) || serviceName.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            throw new FormatException(
                $"Sentinel service name '{Show(serviceName)}' in {cs} is not a master name: use the name given to 'sentinel monitor', e.g. sentinel_service_name=mymaster.");

        var timeout = cs.GetSeconds("socket_timeout") ?? settings.SocketTimeout;
        if (timeout <= TimeSpan.Zero)
            throw new FormatException($"socket_timeout {timeout.TotalSeconds} s for {cs} is not positive: use e.g. socket_timeout=0.5.");

        var tls = cs.Scheme == "rediss";
        if (!tls && (cs.Query.ContainsKey("ssl_ca_certs") || cs.Query.ContainsKey("ssl_cert_reqs")))
            throw new FormatException($"Connection string {cs} has TLS options but is not a rediss:// URL: use rediss://host:port?ssl_ca_certs=/path/ca.pem.");
        var verify = true;
        if (cs.Query.TryGetValue("ssl_cert_reqs", out var reqs))
            verify = reqs.ToLowerInvariant() switch
            {
                "required" => true,
                "none" => false,
                _ => throw new FormatException($"ssl_cert_reqs='{Show(reqs)}' in {cs} is not accepted: use required (the default) or none."),
            };
        var caFile = cs.Query.TryGetValue("ssl_ca_certs", out var ca) ? ca : null;
        if (caFile is { Length: 0 })
            throw new FormatException($"ssl_ca_certs in {cs} is empty: give the path of a PEM file, e.g. ssl_ca_certs=/etc/redis/ca.pem.");

        var ttl = cs.GetPeriod("ttl") ?? settings.Ttl;
        if (ttl is { } t && (t <= TimeSpan.Zero || t > RetentionPeriod.Max))
            throw new FormatException($"ttl {t} for {cs} is not accepted: use {RetentionPeriod.Expected}.");

        var defaultPort = sentinel ? DefaultSentinelPort : DefaultPort;
        return new RedisStoreOptions(cs)
        {
            Sentinel = sentinel,
            Tls = tls,
            CaCertificatesFile = caFile,
            VerifyCertificate = verify,
            Endpoints = cs.Hosts.Select(h => new HostPort(h.Host, h.Port ?? defaultPort)).ToList(),
            Database = database,
            SocketTimeout = timeout,
            ServiceName = serviceName,
            FilterErrorTrace = cs.GetBoolean("filter_error_trace") ?? settings.FilterErrorTrace,
            TtlSeconds = ttl is { } period ? (long)Math.Ceiling(period.TotalSeconds) : null,
            Project = settings.Project,
            Service = settings.Service,
            Host = settings.Host,
        };
    }

    private static string Show(string? value) => TracePointRules.Show(value);
}
