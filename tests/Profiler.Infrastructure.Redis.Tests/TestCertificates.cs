using Profiler.Testing;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// A throwaway certificate authority and a server certificate for 127.0.0.1 it signed (valid two days), made by openssl
/// in a test's temporary directory: <c>ca.pem</c>, <c>server.pem</c>, <c>server.key</c>.
/// </summary>
internal static class TestCertificates
{
    /// <summary>
    /// Writes the files into <paramref name="dir"/> and returns the CA's PEM path. <paramref name="clientAuth"/>: the
    /// certificate may also authenticate a client (cluster nodes present it to each other on the bus).
    /// </summary>
    public static string Make(string dir, bool clientAuth = false)
    {
        var openssl = ServerProcess.Require("openssl", "openssl");
        string F(string name) => Path.Combine(dir, name);
        void Ssl(params string[] args) => ServerProcess.Run(openssl, args, dir);
        Ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", F("ca.key"), "-out", F("ca.pem"), "-days", "2",
            "-subj", "/CN=Profiler Test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        Ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", F("server.key"), "-out", F("server.csr"), "-subj", "/CN=127.0.0.1");
        File.WriteAllText(F("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth" +
            (clientAuth ? ",clientAuth" : "") + "\n");
        Ssl("x509", "-req", "-in", F("server.csr"), "-CA", F("ca.pem"), "-CAkey", F("ca.key"), "-CAcreateserial",
            "-out", F("server.pem"), "-days", "2", "-extfile", F("server.ext"));
        return F("ca.pem");
    }
}
