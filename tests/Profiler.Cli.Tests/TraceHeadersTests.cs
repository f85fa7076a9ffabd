using Profiler.Testing;

namespace Profiler.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class TraceHeadersTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public void Headers_reproduce_OSProfilers_test_vector()
    {
        var result = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "SECRET_KEY",
            "--base-id", "1b9b0e2e-7c2f-4f0c-9a59-3c4f6f8f2f11", "--parent-id", "5d2f1c7a-0b3e-4d5f-8a6b-9c0d1e2f3a4b");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            "X-Trace-Info: eyJiYXNlX2lkIjogIjFiOWIwZTJlLTdjMmYtNGYwYy05YTU5LTNjNGY2ZjhmMmYxMSIsICJwYXJlbnRfaWQiOiAiNWQyZjFjN2EtMGIzZS00ZDVmLThhNmItOWMwZDFlMmYzYTRiIn0=\n" +
            "X-Trace-HMAC: 2cea014c86e464f8e6647facdf9e75aa5e6c3168\n", result.StandardOutput);
    }

    [Fact]
    public void OSProfilers_own_unpacking_accepts_new_headers()
    {
        var result = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "k3y");
        var lines = result.StandardOutput.Trim().Split('\n').Select(l => l.Split(": ", 2)[1]).ToArray();

        var python = ServerProcess.Require("python3", "python3-osprofiler", "/usr/bin");
        var unpacked = ServerProcess.Run("/usr/bin/python3", ["-c",
            "import sys, json; from osprofiler import _utils; d = _utils.signed_unpack(sys.argv[1], sys.argv[2], ['other', 'k3y']); " +
            "print(json.dumps(d, sort_keys=True))", lines[0], lines[1]]);

        Assert.NotNull(python);
        Assert.Contains("\"hmac_key\": \"k3y\"", unpacked);
        Assert.Contains("\"base_id\": \"", unpacked);
    }

    [Fact]
    public void An_unsafe_id_or_an_empty_key_is_refused_in_one_line()
    {
        var bad = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "k", "--base-id", "a*");
        var empty = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "");

        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("'a*'", bad.StandardError);
        Assert.NotEqual(0, empty.ExitCode);
    }
}
