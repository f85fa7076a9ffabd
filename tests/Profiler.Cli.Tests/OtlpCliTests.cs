using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary><c>trace import</c> of OTLP/JSON lines, <c>trace show --otlp</c>, and <c>serve</c>'s OTLP receiver, with the published CLI.</summary>
[Collection(CliCollection.Name)]
public sealed class OtlpCliTests(PublishedCli cli) : IDisposable
{
    private const string TraceHex = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string BaseId = "4bf92f35-77b3-4da6-a3ce-929d0e0e4736";

    /// <summary>One TracesData a line, as an OpenTelemetry Collector file exporter writes it: a request with a failing db call.</summary>
    private const string OtlpLine =
        """{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}},{"key":"service.namespace","value":{"stringValue":"shop"}},{"key":"host.name","value":{"stringValue":"node-9"}}]},"scopeSpans":[{"scope":{"name":"orders-app"},"spans":[""" +
        """{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","parentSpanId":"","name":"POST /orders","kind":2,"startTimeUnixNano":"1772366400000001000","endTimeUnixNano":"1772366400120005000","attributes":[{"key":"http.route","value":{"stringValue":"/orders"}}],"status":{}},""" +
        """{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b8","parentSpanId":"00f067aa0ba902b7","name":"db","kind":3,"startTimeUnixNano":"1772366400010002000","endTimeUnixNano":"1772366400090003000","attributes":[{"key":"db.statement","value":{"stringValue":"INSERT INTO orders VALUES (?)"}}]""" +
        ""","events":[{"timeUnixNano":"1772366400090003000","name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"IntegrityError"}},{"key":"exception.message","value":{"stringValue":"duplicate key"}}]}],"status":{"code":2,"message":"duplicate key"}}]}]}]}""";

    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    private string Store => $"sqlite:///{_work.Path}/otlp.db";

    [Fact]
    public void OTLP_lines_and_point_lines_import_together_and_show_as_a_tree_and_as_the_same_spans()
    {
        var point = """{"name": "cron-start", "base_id": "cron-1", "trace_id": "c1", "parent_id": "cron-1", "timestamp": "2026-03-01T12:00:00.000000", "info": {"host": "h"}}""";
        File.WriteAllText(Path.Combine(_work.Path, "mixed.jsonl"), OtlpLine + "\n" + point + "\n");

        var import = cli.Run(_work.Path, "trace", "import", "mixed.jsonl", "-c", Store);
        Assert.True(import.ExitCode == 0, import.All);
        Assert.Contains("Imported 5 points of 2 trace(s)", import.StandardOutput);

        var show = cli.Run(_work.Path, "trace", "show", BaseId, "-c", Store);
        Assert.True(show.ExitCode == 0, show.All);
        var report = JsonNode.Parse(show.StandardOutput)!;
        var root = report["children"]![0]!;
        Assert.Equal(("POST /orders", 0L, 120L), ((string)root["info"]!["name"]!, (long)root["info"]!["started"]!, (long)root["info"]!["finished"]!));
        var db = root["children"]![0]!["info"]!;
        Assert.Equal(("db", 10L, 90L, "IntegrityError"), ((string)db["name"]!, (long)db["started"]!, (long)db["finished"]!, (string)db["exception"]!));

        var otlp = cli.Run(_work.Path, "trace", "show", BaseId, "--otlp", "-c", Store);
        Assert.True(otlp.ExitCode == 0, otlp.All);
        AssertSameSpans(OtlpLine, otlp.StandardOutput);
    }

    [Fact]
    public void An_OTLP_line_with_a_bad_id_names_the_line_and_imports_nothing()
    {
        var bad = OtlpLine.Replace("00f067aa0ba902b8", "00f067aa0ba9", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_work.Path, "bad.jsonl"), OtlpLine.Replace(TraceHex, "5bf92f3577b34da6a3ce929d0e0e4736", StringComparison.Ordinal) + "\n" + bad + "\n");

        var import = cli.Run(_work.Path, "trace", "import", "bad.jsonl", "-c", Store);

        Assert.Equal(2, import.ExitCode);
        Assert.Contains("bad.jsonl:2: span 1 ('db'): spanId is 6 byte(s)", import.StandardError);
        Assert.Contains("nothing was imported", import.StandardError);
        Assert.Equal(1, cli.Run(_work.Path, "trace", "show", "5bf92f35-77b3-4da6-a3ce-929d0e0e4736", "-c", Store).ExitCode);
    }

    [Fact]
    public async Task Serve_takes_an_OTLP_JSON_body_that_trace_show_otlp_gives_back()
    {
        var port = FreePort.Next();
        var info = new ProcessStartInfo(cli.Executable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _work.Path,
        };
        foreach (var a in new[] { "serve", "-c", Store, "--urls", $"http://127.0.0.1:{port}", "--otlp-grpc-urls", $"http://127.0.0.1:{FreePort.Next()}" })
            info.ArgumentList.Add(a);
        using var serve = Process.Start(info)!;
        var log = new StringBuilder();
        serve.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        serve.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        serve.BeginOutputReadLine();
        serve.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            HttpResponseMessage? response = null;
            // Starting serve takes what it takes on a busy machine: post until it listens (or exits).
            await Waiting.UntilAsync(async () =>
            {
                try
                {
                    response = await client.PostAsync($"http://127.0.0.1:{port}/v1/traces", new StringContent(OtlpLine, Encoding.UTF8, "application/json"));
                    return true;
                }
                catch (HttpRequestException)
                {
                    Assert.False(serve.HasExited, $"profiler serve exited: {log}");
                    return false;
                }
            }, "profiler serve to take an OTLP/HTTP post", state: () => { lock (log) return log.ToString(); });
            Assert.NotNull(response);
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("{}", await response.Content.ReadAsStringAsync());
            }
        }
        finally
        {
            serve.Kill(true);
            await serve.WaitForExitAsync();
        }

        var otlp = cli.Run(_work.Path, "trace", "show", BaseId, "--otlp", "-c", Store);
        Assert.True(otlp.ExitCode == 0, otlp.All);
        AssertSameSpans(OtlpLine, otlp.StandardOutput);
    }

    /// <summary>The spans of two TracesData lines agree on everything the mapping keeps (docs/otlp.md).</summary>
    private static void AssertSameSpans(string sentLine, string shownLine)
    {
        static List<string> Spans(string line)
        {
            var data = JsonNode.Parse(line)!;
            var result = new List<string>();
            foreach (var rs in data["resourceSpans"]!.AsArray())
            {
                var resource = string.Join(",", rs!["resource"]!["attributes"]!.AsArray().Select(a => $"{a!["key"]}={a["value"]!["stringValue"]}").Order(StringComparer.Ordinal));
                foreach (var ss in rs["scopeSpans"]!.AsArray())
                foreach (var s in ss!["spans"]!.AsArray())
                {
                    var attributes = string.Join(",", (s!["attributes"]?.AsArray() ?? []).Select(a => a!.ToJsonString()).Order(StringComparer.Ordinal));
                    var events = string.Join(",", (s["events"]?.AsArray() ?? []).Select(e => e!.ToJsonString()));
                    result.Add($"{resource}|{s["traceId"]}|{s["spanId"]}|{(string?)s["parentSpanId"] ?? ""}|{s["name"]}|{s["kind"]}|" +
                               $"{s["startTimeUnixNano"]}|{s["endTimeUnixNano"]}|{attributes}|{events}|{(int?)s["status"]?["code"] ?? 0}|{(string?)s["status"]?["message"] ?? ""}");
                }
            }
            return [.. result.Order(StringComparer.Ordinal)];
        }

        Assert.Equal(Spans(sentLine), Spans(shownLine.Trim()));
    }
}
