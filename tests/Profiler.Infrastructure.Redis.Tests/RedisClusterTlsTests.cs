using System.Globalization;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// A Redis Cluster that speaks only TLS (its bus too): three primaries, no replicas, each with a certificate for IP
/// 127.0.0.1 signed by a throwaway CA that openssl makes in the temporary directory.
/// </summary>
public sealed class TlsRedisCluster : IDisposable
{
    private readonly TempDirectory _dir = new("profiler-cluster-tls-");
    private readonly List<ServerProcess> _nodes = [];
    private readonly string _cli = ServerProcess.Require("redis-cli", "redis-tools");

    public TlsRedisCluster()
    {
        // The nodes present this certificate to each other on the cluster bus too, so it is also a client's.
        string F(string name) => Path.Combine(_dir.Path, name);
        CaFile = TestCertificates.Make(_dir.Path, clientAuth: true);
        var server = ServerProcess.Require("redis-server", "redis-server");
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var dir = Path.Combine(_dir.Path, "node" + i);
                Directory.CreateDirectory(dir);
                _nodes.Add(ServerProcess.StartOnFreePort(port =>
                {
                    if (port > 55535) throw new InvalidOperationException($"cluster bus port {port + 10000} out of range");
                    return ServerProcess.Start($"redis tls cluster node :{port}", server,
                    [
                        "--port", "0", "--tls-port", port.ToString(), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                        // The topology's node timeout: a loaded machine's stall must not set off a failover under a test.
                        "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", ((int)RedisClusterTopology.NodeTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                        "--save", "", "--appendonly", "no",
                        "--dir", dir, "--tls-cluster", "yes", "--tls-cert-file", F("server.pem"), "--tls-key-file", F("server.key"),
                        "--tls-ca-cert-file", CaFile, "--tls-auth-clients", "no",
                    ], port, dir);
                }, out var nodePort));
                Ports.Add(nodePort);
            }
            ServerProcess.Run(_cli,
                ["--tls", "--cacert", CaFile, "--cluster", "create", .. Ports.Select(p => "127.0.0.1:" + p), "--cluster-yes"],
                timeout: TimeSpan.FromSeconds(120));
            foreach (var port in Ports)
                SentinelTopology.WaitFor(() => Cli(port, "CLUSTER", "INFO").Contains("cluster_state:ok"), TimeSpan.FromSeconds(120),
                    $"TLS cluster node :{port} to report cluster_state:ok");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public List<int> Ports { get; } = [];
    public string CaFile { get; }

    /// <summary>Runs a command on one node over TLS with redis-cli (<c>-c</c>: follows MOVED redirects).</summary>
    public string Cli(int port, params string[] command) =>
        ServerProcess.Run(_cli, ["--tls", "--cacert", CaFile, "-c", "-h", "127.0.0.1", "-p", port.ToString(), .. command],
            timeout: TimeSpan.FromSeconds(30));

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        _dir.Dispose();
    }
}

/// <summary><c>rediss://</c> naming a TLS cluster's nodes: found to be a cluster, every node checked against the CA, every primary listed.</summary>
public sealed class RedisClusterTlsTests(TlsRedisCluster cluster) : IClassFixture<TlsRedisCluster>
{
    [Fact]
    public async Task A_rediss_seed_list_of_a_TLS_cluster_lists_the_traces_of_every_primary()
    {
        var ids = Enumerable.Range(0, 12).Select(i => $"tls-{i:00}").ToList();
        foreach (var id in ids)
            cluster.Cli(cluster.Ports[0], "LPUSH", "osprofiler_opt:" + id, $$"""{"name": "wsgi-start", "base_id": "{{id}}", "timestamp": "2026-11-29T10:00:{{id[^2..]}}.000000"}""");
        Assert.All(cluster.Ports, port => Assert.NotEqual("0", cluster.Cli(port, "DBSIZE").Trim()));
        var url = $"rediss://127.0.0.1:{cluster.Ports[0]},127.0.0.1:{cluster.Ports[1]}?ssl_ca_certs={Uri.EscapeDataString(cluster.CaFile)}&socket_timeout=30";
        await using var parts = RedisClusterReadsFixture.Open(url);

        var page = await parts.Lister.ListAsync(new TraceListQuery(100), CancellationToken.None);

        Assert.True(parts.Options.Cluster);
        Assert.StartsWith("Redis Cluster rediss://", parts.Options.Describe());
        Assert.Equal(Enumerable.Reverse(ids), page.Traces.Select(t => t.BaseId));
    }

    [Fact]
    public async Task A_rediss_URL_naming_one_TLS_cluster_node_refuses_a_certificate_its_CA_did_not_sign()
    {
        // No ssl_ca_certs: the system's CAs, which never signed the throwaway CA's certificates.
        await using var parts = RedisClusterReadsFixture.Open($"rediss://127.0.0.1:{cluster.Ports[2]}?socket_timeout=30");

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => parts.Lister.ListAsync(new TraceListQuery(10), CancellationToken.None));

        Assert.Contains("certificate", e.Message);
        Assert.Contains($"127.0.0.1:{cluster.Ports[2]}", e.Message);
    }
}
