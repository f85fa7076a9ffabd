using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Profiler.Storage;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// How a <c>rediss://</c> store checks the server's certificate (<c>ssl_cert_reqs</c>, <c>ssl_ca_certs</c>), and what
/// it refused: a failed TLS handshake is then explained from the check's own verdict, not from exception text. One
/// per connect attempt.
/// </summary>
internal sealed class TlsCertificateCheck
{
    private readonly bool _verify;
    private readonly X509Certificate2Collection? _roots;
    private int _refused = -1;

    /// <summary>Reads the CA file, if any; throws <see cref="TraceStoreException"/> naming it when it is unusable.</summary>
    public TlsCertificateCheck(RedisStoreOptions options)
    {
        _verify = options.VerifyCertificate;
        if (_verify && options.CaCertificatesFile is { } caFile) _roots = LoadRoots(caFile, options);
    }

    /// <summary>The errors of the last certificate the check refused, or null when it refused none.</summary>
    public SslPolicyErrors? Refused => Volatile.Read(ref _refused) is var r and >= 0 ? (SslPolicyErrors)r : null;

    /// <summary>The certificate validation callback StackExchange.Redis calls during the TLS handshake.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (!_verify) return true;
        var valid = _roots is null ? errors == SslPolicyErrors.None : ChainsTo(_roots, certificate, errors);
        if (!valid) Volatile.Write(ref _refused, (int)errors);
        return valid;
    }

    private static X509Certificate2Collection LoadRoots(string file, RedisStoreOptions options)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new TraceStoreException(
                $"Could not read the CA certificates ssl_ca_certs='{file}' for {options.Describe()}: {e.Message} Give a readable PEM file.", e);
        }
        if (roots.Count == 0)
            throw new TraceStoreException($"ssl_ca_certs='{file}' for {options.Describe()} holds no PEM certificate: give the CA's certificate in PEM form.");
        return roots;
    }

    /// <summary>The server certificate is valid for the host and chains to one of <paramref name="roots"/>.</summary>
    private static bool ChainsTo(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            return chain.Build(leaf);
        }
        finally
        {
            if (!ReferenceEquals(leaf, certificate)) leaf.Dispose();
        }
    }
}
