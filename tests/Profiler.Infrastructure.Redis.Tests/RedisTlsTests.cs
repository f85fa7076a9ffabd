using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// A redis-server that speaks only TLS, with a server certificate for IP 127.0.0.1 signed by a throwaway CA that
/// openssl makes in the temporary directory.
/// </summary>
public sealed class TlsRedisServer : IDisposable
{
    private readonly TempDirectory _dir = new("profiler-redis-tls-");
    private readonly ServerProcess _process;

    public TlsRedisServer()
    {
        string F(string name) => Path.Combine(_dir.Path, name);
        CaFile = TestCertificates.Make(_dir.Path);

        Port = FreePort.Next();
        _process = ServerProcess.Start($"redis-server tls :{Port}", ServerProcess.Require("redis-server", "redis-server"),
        [
            "--port", "0", "--tls-port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", _dir.Path, "--tls-cert-file", F("server.pem"), "--tls-key-file", F("server.key"),
            "--tls-ca-cert-file", CaFile, "--tls-auth-clients", "no",
        ], Port, _dir.Path);
    }

    public int Port { get; }
    public string CaFile { get; }

    /// <summary>
    /// A store on this server with <paramref name="query"/> (empty or <c>?…</c>) and a 30 s <c>socket_timeout</c>: the
    /// default (0.1 s; TLS connects 3 s) is the profiled service's, and a TLS handshake on a busy machine can take longer.
    /// </summary>
    public ITraceStore Open(string query) =>
        new RedisDriver().Open(ConnectionString.Parse($"rediss://127.0.0.1:{Port}/0{query}{(query.Length == 0 ? "?" : "&")}socket_timeout=30"),
            new DriverSettings());

    public void Dispose()
    {
        _process.Dispose();
        _dir.Dispose();
    }
}

public sealed class RedisTlsTests(TlsRedisServer server, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TlsRedisServer>
{
    private static IReadOnlyList<TracePoint> Trace(string baseId) =>
    [
        new()
        {
            Name = "wsgi-start", BaseId = baseId, TraceId = "op", ParentId = baseId,
            Timestamp = TraceTimestamp.UtcNow.ToString(), Info = new JsonObject { ["host"] = "h" },
        },
    ];

    private static async Task<int> CountAsync(ITraceStore store, string baseId)
    {
        var n = 0;
        await foreach (var _ in store.ReadTraceAsync(baseId, CancellationToken.None)) n++;
        return n;
    }

    [Fact]
    public async Task A_rediss_store_writes_and_reads_over_TLS_trusting_the_CA_named_by_ssl_ca_certs()
    {
        await using var store = server.Open($"?ssl_ca_certs={Uri.EscapeDataString(server.CaFile)}");

        await store.WriteAsync(Trace("over-tls"), CancellationToken.None);

        Assert.Equal(1, await CountAsync(store, "over-tls"));
    }

    [Fact]
    public async Task A_server_certificate_from_an_untrusted_CA_is_refused_naming_the_server()
    {
        await using var store = server.Open("");

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Trace("untrusted"), CancellationToken.None));
        output.WriteLine(e.ToString());

        Assert.Contains($"127.0.0.1:{server.Port}", e.Message);
        Assert.Contains("ssl_ca_certs", e.Message);
    }

    [Fact]
    public async Task Certificate_checks_can_be_turned_off_with_ssl_cert_reqs_none()
    {
        await using var store = server.Open("?ssl_cert_reqs=none");

        await store.WriteAsync(Trace("unchecked"), CancellationToken.None);

        Assert.Equal(1, await CountAsync(store, "unchecked"));
    }

    [Fact]
    public async Task A_missing_CA_file_is_a_clear_error_naming_it()
    {
        await using var store = server.Open("?ssl_ca_certs=/nonexistent/ca.pem");

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Trace("x"), CancellationToken.None));

        Assert.Contains("/nonexistent/ca.pem", e.Message);
    }
}
