using System.Diagnostics;
using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class ServeTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    private Process Serve(string store, int port, params string[] extra)
    {
        var info = new ProcessStartInfo(cli.Executable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _work.Path,
        };
        foreach (var a in new[] { "serve", "-c", store, "--urls", $"http://127.0.0.1:{port}" }.Concat(extra)) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient();
        var deadline = DateTime.UtcNow + Waiting.Patience; // start-up on a busy machine: generous, only "never" fails
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (client.GetAsync($"http://127.0.0.1:{port}/health").Result.IsSuccessStatusCode) return process;
            }
            catch (AggregateException) { }
            Thread.Sleep(200);
        }
        process.Kill(true);
        throw new InvalidOperationException($"profiler serve did not answer /health within {Waiting.Patience.TotalSeconds} s");
    }

    [Fact]
    public async Task With_hmac_keys_the_server_continues_a_signed_trace_and_ignores_a_wrong_signature()
    {
        var store = $"sqlite:///{_work.Path}/served.db";
        var port = FreePort.Next();
        var serve = Serve(store, port, "--hmac-keys", "k1,SECRET_KEY");
        try
        {
            using var client = new HttpClient();
            var good = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "SECRET_KEY").StandardOutput.Trim().Split('\n')
                .Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p[1]);
            var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/api/v1/traces?limit=5");
            foreach (var (k, v) in good) request.Headers.Add(k, v);
            (await client.SendAsync(request)).EnsureSuccessStatusCode();

            var forged = cli.Run(_work.Path, "trace", "headers", "--hmac-key", "not-a-configured-key").StandardOutput.Trim().Split('\n')
                .Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p[1]);
            request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/health");
            foreach (var (k, v) in forged) request.Headers.Add(k, v);
            (await client.SendAsync(request)).EnsureSuccessStatusCode();

            var goodId = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(good["X-Trace-Info"].Replace('-', '+').Replace('_', '/')));
            var baseId = (string)JsonNode.Parse(goodId)!["base_id"]!;
            var forgedInfo = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(forged["X-Trace-Info"].Replace('-', '+').Replace('_', '/')));
            var forgedId = (string)JsonNode.Parse(forgedInfo)!["base_id"]!;

            CliResult show = new(1, "", "");
            for (var i = 0; i < 50 && show.ExitCode != 0; i++)
            {
                await Task.Delay(200);
                show = cli.Run(_work.Path, "trace", "show", baseId, "-c", store);
            }
            Assert.True(show.ExitCode == 0, show.All);
            var node = JsonNode.Parse(show.StandardOutput)!["children"]![0]!["info"]!;
            Assert.Equal("wsgi", (string)node["name"]!);
            Assert.Equal("/api/v1/traces", (string)node["meta.raw_payload.wsgi-start"]!["info"]!["request"]!["path"]!);
            Assert.Equal(1, cli.Run(_work.Path, "trace", "show", forgedId, "-c", store).ExitCode);
        }
        finally
        {
            serve.Kill(true);
            serve.WaitForExit();
        }
    }
}
