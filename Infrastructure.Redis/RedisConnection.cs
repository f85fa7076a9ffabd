using System.Net;
using Microsoft.Extensions.Logging;
using Profiler.Storage;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// One store's connection: a single <see cref="ConnectionMultiplexer"/>, created when the store opens (in the
/// background, <see cref="ConnectInBackground"/>) or on first use, and reused. A failed connect is not remembered, so
/// the next operation tries again. Every StackExchange.Redis failure leaves as a
/// <see cref="TraceStoreException"/> naming the store (password redacted) with the password scrubbed from the reason
/// (<see cref="Profiler.Domain.ConnectionString.ScrubPassword"/>).
/// </summary>
/// <remarks>
/// Failures are told apart by StackExchange.Redis's exception types and the status they carry
/// (<see cref="RedisConnectionException.FailureType"/>, <see cref="RedisServerException.Kind"/>,
/// <see cref="RedisTimeoutException.Commandstatus"/>), and a refused TLS certificate by the store's own check
/// (<see cref="TlsCertificateCheck"/>): never by the text of a message.
/// </remarks>
internal sealed class RedisConnection : IAsyncDisposable
{
    /// <summary>
    /// Shortest connect timeout, whatever <c>socket_timeout</c> says: a handshake is several round trips, and on a busy
    /// machine 0.1 s fails servers that are up. A refused connection fails at once regardless.
    /// </summary>
    internal static readonly TimeSpan MinConnectTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Shortest connect timeout over TLS: the first handshake of a process (certificate chain, key exchange) is slow.</summary>
    internal static readonly TimeSpan MinTlsConnectTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Shortest timeout of one operation. A listing pipelines thousands of commands and a chunk of a large trace is
    /// 10,000 points, which can take longer than OSProfiler's 0.1 s socket timeout without anything being wrong.
    /// </summary>
    internal static readonly TimeSpan MinOperationTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a Sentinel or Cluster store keeps retrying an operation that failed because its master went away or
    /// turned replica, while the sentinels (or the cluster) promote another and the multiplexer follows (at least 10 s,
    /// or 20 socket timeouts).
    /// </summary>
    internal static readonly TimeSpan MinFailoverRetry = TimeSpan.FromSeconds(10);

    private readonly RedisStoreOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private volatile ConnectionMultiplexer? _multiplexer;
    private Task<ConnectionMultiplexer>? _connecting;
    private bool _disposed;
    /// <summary>The certificate check of the latest connect attempt over TLS.</summary>
    private volatile TlsCertificateCheck? _tls;

    public RedisConnection(RedisStoreOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    public TimeSpan ConnectTimeout => Max(_options.SocketTimeout, _options.Tls ? MinTlsConnectTimeout : MinConnectTimeout);
    public TimeSpan OperationTimeout => Max(_options.SocketTimeout, MinOperationTimeout);

    /// <summary>
    /// Runs <paramref name="operation"/> against the database. With Sentinel or on a Cluster, an operation that failed
    /// because the master went away or turned replica (or a cluster slot had no primary or was moving) is retried while
    /// the multiplexer follows the failover. An operation that
    /// timed out is sent once more (a busy machine or server), unless <paramref name="retryTimeout"/> is false (writes:
    /// their caller retries, with backoff); a second timeout fails saying which timeout to raise.
    /// </summary>
    public async Task<T> RunAsync<T>(string action, Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken,
        bool retryTimeout = true)
    {
        var deadline = DateTime.UtcNow + Max(MinFailoverRetry, _options.SocketTimeout * 20);
        // The timeout of the first attempt, once it was retried.
        Exception? timedOut = null;
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ConnectionMultiplexer multiplexer;
            try
            {
                // A store that never connected fails at once: there is no failover to wait for.
                multiplexer = await GetAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                throw Failure(action, e);
            }
            try
            {
                return await operation(multiplexer.GetDatabase(_options.Database)).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (retryTimeout && timedOut is null && e is RedisTimeoutException or TimeoutException && !IsFailover(e))
            {
                timedOut = e;
                Log.RetryingTimedOut(_logger, action, _options.Describe(), OperationTimeout.TotalSeconds);
            }
            catch (Exception e) when ((_options.Sentinel || RedisTopology.IsCluster(multiplexer)) && IsFailover(e) && DateTime.UtcNow < deadline)
            {
                Log.RetryingDuringFailover(_logger, action, _options.Describe(), attempt, Scrub(e.Message));
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * attempt, 500)), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                // A retry after a timeout that finds the connection given up (StackExchange.Redis drops a connection
                // whose replies stopped coming) fails for the same reason: the server was too slow, so say which
                // timeout to raise rather than to check that a server runs.
                throw Failure(action, timedOut is not null && e is RedisConnectionException ? timedOut : e, multiplexer);
            }
        }
    }

    /// <summary>Runs an operation with no result; see <see cref="RunAsync{T}"/>.</summary>
    public Task RunAsync(string action, Func<IDatabase, Task> operation, CancellationToken cancellationToken, bool retryTimeout = true) =>
        RunAsync(action, async db =>
        {
            await operation(db).ConfigureAwait(false);
            return true;
        }, cancellationToken, retryTimeout);

    /// <summary>
    /// Starts connecting now, without waiting: the first operation then finds the connection made or in progress (a
    /// command-line tool spends the handshake's time loading and validating its request meanwhile). A failure is
    /// not kept: the first operation sees it and the one after tries again.
    /// </summary>
    public void ConnectInBackground()
    {
        lock (_gate)
            if (!_disposed && _multiplexer is null) StartConnecting();
    }

    private async Task<ConnectionMultiplexer> GetAsync(CancellationToken cancellationToken)
    {
        if (_multiplexer is { } existing) return existing;
        Task<ConnectionMultiplexer> connecting;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_multiplexer is { } raced) return raced;
            connecting = StartConnecting();
        }
        return await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The connect in flight, or a new one (under <see cref="_gate"/>): callers arriving meanwhile share it and its
    /// outcome. It runs on the thread pool, never inline: StackExchange.Redis does much of its start-up before its first
    /// await, and a connect that failed at once must not be stored after it cleared itself.
    /// </summary>
    private Task<ConnectionMultiplexer> StartConnecting()
    {
        if (_connecting is { } inFlight) return inFlight;
        var connecting = _connecting = Task.Run(ConnectAsync);
        // Observed, so that a failure nobody waits for (a background connect) is not an unobserved task exception.
        connecting.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return connecting;
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        ConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await ConnectionMultiplexer.ConnectAsync(BuildConfiguration()).ConfigureAwait(false);
        }
        catch
        {
            // Not remembered: the next operation tries again.
            lock (_gate) _connecting = null;
            throw;
        }
        try
        {
            CheckMode(multiplexer);
        }
        catch
        {
            lock (_gate) _connecting = null;
            await multiplexer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        multiplexer.ConnectionFailed += (_, e) =>
        {
            if (_logger.IsEnabled(LogLevel.Warning))
                Log.ConnectionLost(_logger, Show(e.EndPoint), _options.Describe(), e.FailureType, Scrub(e.Exception?.Message));
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (_logger.IsEnabled(LogLevel.Information)) Log.ConnectionRestored(_logger, Show(e.EndPoint), _options.Describe());
        };
        if (_logger.IsEnabled(LogLevel.Debug)) Log.Connected(_logger, _options.Describe());
        lock (_gate)
        {
            _connecting = null;
            if (!_disposed)
            {
                _multiplexer = multiplexer;
                return multiplexer;
            }
        }
        // Disposed while connecting: the new connection is closed at once.
        await multiplexer.DisposeAsync().ConfigureAwait(false);
        throw new ObjectDisposedException(nameof(RedisConnection));
    }

    /// <summary>
    /// Records whether the servers reached form a Redis Cluster (<see cref="RedisStoreOptions.Cluster"/>), and refuses
    /// what cannot work: a cluster asked for a database other than 0 (a cluster has only database 0), or several
    /// hosts in a <c>redis://</c> URL that are not a cluster's nodes (a seed list only makes sense for a cluster).
    /// </summary>
    private void CheckMode(ConnectionMultiplexer multiplexer)
    {
        if (_options.Sentinel) return;
        var cluster = RedisTopology.IsCluster(multiplexer);
        if (cluster && _options.Database != 0)
            throw new TraceStoreException(
                $"Could not use database {_options.Database} of Redis Cluster {_options.ConnectionString}: a Redis Cluster has only " +
                $"database 0. Drop /{_options.Database} from the URL (or use /0).");
        if (!cluster && _options.SeedList)
        {
            var standalone = multiplexer.GetServers().FirstOrDefault(s => s.IsConnected && s.ServerType != ServerType.Cluster);
            throw new TraceStoreException(
                $"Could not use {_options.Describe()}: it names {_options.Endpoints.Count} hosts, the seed nodes of a Redis Cluster, " +
                $"but {(standalone is null ? "the servers reached are" : Show(standalone.EndPoint) + " is")} not a cluster node " +
                "(cluster_enabled:0). Name one server (redis://host:port), or list sentinels with redissentinel://.");
        }
        _options.Cluster = cluster;
    }

    internal ConfigurationOptions BuildConfiguration()
    {
        var config = new ConfigurationOptions
        {
            AbortOnConnectFail = true,
            ConnectRetry = 1,
            ConnectTimeout = Milliseconds(ConnectTimeout),
            SyncTimeout = Milliseconds(OperationTimeout),
            AsyncTimeout = Milliseconds(OperationTimeout),
            User = _options.ConnectionString.Username,
            Password = _options.ConnectionString.Password,
            DefaultDatabase = _options.Database,
            ClientName = "profiler",
            Ssl = _options.Tls,
            // Only what the URL names: never ask a server for its configuration or follow it elsewhere.
            AllowAdmin = false,
            IncludeDetailInExceptions = true,
        };
        if (_options.Tls)
        {
            // One host: its name is what every certificate (a cluster's other nodes' too) must be valid for, as
            // today. Seed nodes of different names: each node's certificate is checked against its own address.
            if (_options.Endpoints.Select(e => e.Host).Distinct(StringComparer.OrdinalIgnoreCase).Count() == 1)
                config.SslHost = _options.Endpoints[0].Host;
            // Always our own check, even against the system's CAs: a refused certificate is then known as such.
            var check = new TlsCertificateCheck(_options);
            _tls = check;
            config.CertificateValidation += check.Validate;
        }
        if (_options.Sentinel)
        {
            config.ServiceName = _options.ServiceName;
            // OSProfiler (redis-py) authenticates to the master only; sentinels are reached without a password.
            config.SentinelPassword = "";
        }
        foreach (var endpoint in _options.Endpoints)
            config.EndPoints.Add(endpoint.Host, endpoint.Port ?? RedisStoreOptions.DefaultPort);
        return config;
    }

    /// <summary>A failure a Sentinel failover explains, after which the operation may be sent again to the new master.</summary>
    internal static bool IsFailover(Exception e) => e switch
    {
        RedisConnectionException => true,
        // The old master, demoted to replica, refuses writes; a replica that lost its master refuses reads.
        RedisServerException { Kind: RedisErrorKind.ReadOnly or RedisErrorKind.MasterDown } => true,
        // A cluster promoting a replica or moving a slot: CLUSTERDOWN while a slot has no primary, TRYAGAIN for a
        // multi-key command whose keys are split between two nodes mid-migration.
        RedisServerException { Kind: RedisErrorKind.ClusterDown or RedisErrorKind.TryAgain } => true,
        // Still waiting in the backlog for a connection: never sent, so safe to send again to the new master.
        RedisTimeoutException { Commandstatus: CommandStatus.WaitingInBacklog } => true,
        _ => false,
    };

    /// <summary>
    /// <paramref name="e"/> as a <see cref="TraceStoreException"/> naming the store, with a hint chosen by the failure's
    /// type and status; <paramref name="multiplexer"/> (when connected) tells what the server turned out to be.
    /// </summary>
    internal TraceStoreException Failure(string action, Exception e, ConnectionMultiplexer? multiplexer = null)
    {
        if (e is TraceStoreException t) return t;
        var reason = Scrub(Reason(e));
        var hint = e switch
        {
            RedisConnectionException when _tls?.Refused is { } refused =>
                $" The server's TLS certificate was refused ({refused}): it must be valid for the host and chain to a " +
                "trusted CA (name the CA's PEM file with ssl_ca_certs=/path/ca.pem).",
            RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }
                or RedisServerException { Kind: RedisErrorKind.NoAuth or RedisErrorKind.WrongPass } =>
                " Check the password (redis://:password@host:port) and, for Redis 6 ACLs, the user name.",
            RedisServerException { Kind: RedisErrorKind.NoPermission } =>
                " The server's ACL does not let this user run what the driver needs (LPUSH, SET, LRANGE, LLEN, LINDEX, " +
                "GET, MGET, SCAN, DEL, MULTI/EXEC, EVAL, EVALSHA and SCRIPT LOAD).",
            RedisServerException { Kind: RedisErrorKind.ReadOnly } => ReplicaHint,
            // StackExchange.Redis knows the server for a replica and does not send it a write at all.
            RedisConnectionException when !_options.Sentinel && OnlyReplicas(multiplexer) => ReplicaHint,
            RedisServerException { Kind: RedisErrorKind.OutOfMemory } =>
                " The server is above its maxmemory limit: free memory or raise maxmemory.",
            RedisConnectionException or System.Net.Sockets.SocketException or IOException =>
                _options.Sentinel
                    ? $" Check that the sentinels at {string.Join(",", _options.Endpoints)} are running and monitor a master named '{_options.ServiceName}' (sentinel_service_name)."
                    : _options.Cluster
                        ? $" Check that every primary of the Redis Cluster is running and reachable, or has a replica to take over " +
                          $"(seed node{(_options.SeedList ? "s" : "")} {string.Join(",", _options.Endpoints)})."
                        : _options.SeedList
                            ? $" Check that the Redis Cluster seed nodes at {string.Join(",", _options.Endpoints)} are running and reachable (one suffices)."
                            : $" Check that a Redis server is running at {_options.Endpoints[0]} and reachable.",
            RedisTimeoutException or TimeoutException =>
                $" The store did not answer within {OperationTimeout.TotalSeconds:0.###} s. If it is only slow (a busy machine or server), " +
                $"raise socket_timeout (now {_options.SocketTimeout.TotalSeconds:0.###} s; operations wait at least " +
                $"{MinOperationTimeout.TotalSeconds:0.###} s), e.g. ?socket_timeout=30 in the connection string.",
            _ => "",
        };
        // An inner exception whose text held the password would leak it; keep it only when it was clean.
        var inner = reason == e.Message ? e : null;
        return new TraceStoreException($"Could not {action} {_options.Describe()}: {reason}{hint}", inner);
    }

    private const string ReplicaHint = " The server is a read-only replica: name its master, or its sentinels with redissentinel://.";

    /// <summary>Every server the multiplexer is connected to is a replica (by the role it reported).</summary>
    private static bool OnlyReplicas(ConnectionMultiplexer? multiplexer)
    {
        if (multiplexer is null) return false;
        var servers = multiplexer.GetServers();
        return servers.Length > 0 && servers.All(s => s.IsConnected && s.IsReplica);
    }

    /// <summary>StackExchange.Redis's message without its advice to change options this driver sets on purpose.</summary>
    /// <remarks>
    /// This only edits the text shown; nothing is decided from it. Should StackExchange.Redis reword its advice, the
    /// advice simply stays in the message.
    /// </remarks>
    private static string Reason(Exception e)
    {
        var text = e.Message;
        var advice = text.IndexOf("To allow this multiplexer to continue retrying", StringComparison.Ordinal);
        if (advice >= 0)
        {
            var end = text.IndexOf("in your code.", advice, StringComparison.Ordinal);
            text = text[..advice] + (end >= 0 ? text[(end + "in your code.".Length)..] : "");
            text = text.Replace("Error connecting right now.", "The connection was refused or timed out.", StringComparison.Ordinal);
        }
        text = text.Trim();
        return text.Length == 0 || text.EndsWith('.') ? text : text + ".";
    }

    /// <summary>The text with the password scrubbed by the one scrubber, <see cref="Profiler.Domain.ConnectionString.ScrubPassword"/>.</summary>
    internal string Scrub(string? text) => text is null ? "" : _options.ConnectionString.ScrubPassword(text);

    private static string Show(EndPoint? endpoint) => endpoint switch
    {
        null => "(unknown)",
        IPEndPoint ip => ip.ToString(),
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint.ToString() ?? "(unknown)",
    };

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static int Milliseconds(TimeSpan t) => (int)Math.Clamp(Math.Ceiling(t.TotalMilliseconds), 1, int.MaxValue);

    public async ValueTask DisposeAsync()
    {
        ConnectionMultiplexer? multiplexer;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            multiplexer = _multiplexer;
            _multiplexer = null;
        }
        if (multiplexer is not null)
        {
            await multiplexer.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
            await multiplexer.DisposeAsync().ConfigureAwait(false);
        }
        // A connect still in flight is not waited for (it may be waiting on an unreachable host): it closes what it
        // opens, seeing the store disposed.
    }
}
