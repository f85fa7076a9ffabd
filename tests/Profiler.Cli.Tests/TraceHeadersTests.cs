using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
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

    private const string VectorBase = "1b9b0e2e-7c2f-4f0c-9a59-3c4f6f8f2f11";
    private const string VectorParent = "5d2f1c7a-0b3e-4d5f-8a6b-9c0d1e2f3a4b";
    private const string VectorInfo = "eyJiYXNlX2lkIjogIjFiOWIwZTJlLTdjMmYtNGYwYy05YTU5LTNjNGY2ZjhmMmYxMSIsICJwYXJlbnRfaWQiOiAiNWQyZjFjN2EtMGIzZS00ZDVmLThhNmItOWMwZDFlMmYzYTRiIn0=";
    private const string VectorHmac = "2cea014c86e464f8e6647facdf9e75aa5e6c3168";

    private static string Sign(string info, string key) => Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(info)));

    private static string DecodedBaseId(string info) =>
        (string)JsonNode.Parse(Convert.FromBase64String(info.Replace('-', '+').Replace('_', '/')))!["base_id"]!;

    [Fact]
    public void Json_format_is_one_object_with_the_ids_and_both_headers()
    {
        var result = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "SECRET_KEY", "--base-id", VectorBase, "--parent-id", VectorParent, "--format", "json");

        Assert.Equal(0, result.ExitCode);
        var line = Assert.Single(result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var json = JsonNode.Parse(line)!.AsObject();
        Assert.Equal(["base_id", "parent_id", "X-Trace-Info", "X-Trace-HMAC"], json.Select(p => p.Key));
        Assert.Equal((VectorBase, VectorParent, VectorInfo, VectorHmac),
            ((string)json["base_id"]!, (string)json["parent_id"]!, (string)json["X-Trace-Info"]!, (string)json["X-Trace-HMAC"]!));
    }

    [Fact]
    public void Count_prints_that_many_json_objects_each_a_fresh_signed_trace()
    {
        var result = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "k3y", "--format", "json", "--count", "2000");

        Assert.Equal(0, result.ExitCode);
        var sets = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2000, sets.Count);
        Assert.Equal(2000, sets.Select(s => (string)s["base_id"]!).Distinct().Count());
        Assert.All(sets, s =>
        {
            Assert.Equal((string)s["base_id"]!, (string)s["parent_id"]!);
            Assert.Equal((string)s["base_id"]!, DecodedBaseId((string)s["X-Trace-Info"]!));
            Assert.Equal(Sign((string)s["X-Trace-Info"]!, "k3y"), (string)s["X-Trace-HMAC"]!);
        });
    }

    [Fact]
    public void Env_format_is_one_line_of_shell_assignments_a_set()
    {
        var result = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "SECRET_KEY", "--base-id", VectorBase, "--parent-id", VectorParent, "--format", "env");
        var three = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "SECRET_KEY", "--format", "env", "--count", "3");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"X_TRACE_BASE_ID={VectorBase} X_TRACE_INFO={VectorInfo} X_TRACE_HMAC={VectorHmac}\n", result.StandardOutput);
        // A shell reads it as it is.
        var shell = ServerProcess.Run("/bin/sh", ["-c", "eval \"$1\"; printf '%s|%s|%s' \"$X_TRACE_BASE_ID\" \"$X_TRACE_INFO\" \"$X_TRACE_HMAC\"", "sh", result.StandardOutput]);
        Assert.Equal($"{VectorBase}|{VectorInfo}|{VectorHmac}", shell.Trim());
        Assert.Equal(3, three.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct().Count());
    }

    [Fact]
    public void Lines_stays_the_default_and_prints_two_lines_a_set()
    {
        var result = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "k", "--format", "lines", "--count", "3");

        Assert.Equal(0, result.ExitCode);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.All(lines.Where((_, i) => i % 2 == 0), l => Assert.StartsWith("X-Trace-Info: ", l, StringComparison.Ordinal));
        Assert.All(lines.Where((_, i) => i % 2 == 1), l => Assert.StartsWith("X-Trace-HMAC: ", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Curl_format_piped_into_curl_sends_both_signed_headers()
    {
        // A listener that records the headers of the one request curl makes.
        using var listener = new HttpListener();
        int port;
        for (var attempt = 1; ; attempt++)
        {
            port = FreePort.Next();
            listener.Prefixes.Clear();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try { listener.Start(); break; }
            catch (HttpListenerException) when (attempt < 5) { }
        }
        var received = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            var headers = (context.Request.Headers["X-Trace-Info"], context.Request.Headers["X-Trace-HMAC"]);
            context.Response.StatusCode = 204;
            context.Response.Close();
            return headers;
        });

        var curl = ServerProcess.Require("curl", "curl");
        var output = ServerProcess.Run("/bin/sh", ["-c", "\"$1\" trace headers --hmac-key SECRET_KEY --format curl | \"$2\" -sS -f -K - \"$3\" && echo sent",
            "sh", cli.Executable, curl, $"http://127.0.0.1:{port}/servers"], workingDirectory: _work.Path,
            environment: new Dictionary<string, string> { ["HOME"] = _work.Path }, timeout: TimeSpan.FromMinutes(1));

        Assert.Contains("sent", output, StringComparison.Ordinal);
        var (info, hmac) = await received.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.NotNull(info);
        Assert.Equal(Sign(info, "SECRET_KEY"), hmac);
    }

    [Fact]
    public void Curl_format_is_a_curl_config_naming_the_base_id_in_a_comment()
    {
        var result = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "SECRET_KEY", "--base-id", VectorBase, "--parent-id", VectorParent, "--format", "curl");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"# base_id {VectorBase}\nheader = \"X-Trace-Info: {VectorInfo}\"\nheader = \"X-Trace-HMAC: {VectorHmac}\"\n", result.StandardOutput);
    }

    [Theory]
    [InlineData("'0'", "--count", "0")]
    [InlineData("'100001'", "--count", "100001")]
    [InlineData("'abc'", "--count", "abc")]
    [InlineData("'-3'", "--count", "-3")]
    [InlineData("'yaml'", "--format", "yaml")]
    [InlineData("--count 2", "--count", "2", "--base-id", "abc")]
    [InlineData("--format curl", "--count", "2", "--format", "curl")]
    public void A_bad_count_or_format_is_refused_naming_the_value(string named, params string[] args)
    {
        var result = cli.Run(_work.Path, ["trace", "headers", "--hmac-key", "k", .. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(named, result.StandardError, StringComparison.Ordinal);
        Assert.Equal("", result.StandardOutput);
        Assert.Single(result.StandardError.Trim().Split('\n'));
    }
}
