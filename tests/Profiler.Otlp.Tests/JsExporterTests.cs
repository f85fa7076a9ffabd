using System.Diagnostics;
using System.Text;

namespace Profiler.Otlp.Tests;

/// <summary>
/// The OpenTelemetry JavaScript SDK's OTLP/HTTP exporter (which sends OTLP/JSON) run with node against the web shell.
/// The npm packages are installed once into a folder under the temp directory named after their versions.
/// </summary>
public sealed class JsExporterTests
{
    private const string Packages = "@opentelemetry/api@1.9.0 @opentelemetry/sdk-trace-base@2.0.1 @opentelemetry/resources@2.0.1 @opentelemetry/exporter-trace-otlp-http@0.203.0";

    private const string Script = """
        const api = require('@opentelemetry/api');
        const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
        const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
        const { resourceFromAttributes } = require('@opentelemetry/resources');
        (async () => {
          const exporter = new OTLPTraceExporter({ url: process.argv[2] });
          const provider = new BasicTracerProvider({
            resource: resourceFromAttributes({ 'service.name': 'js-shop', 'service.namespace': 'shop', 'host.name': 'node-js' }),
            spanProcessors: [new SimpleSpanProcessor(exporter)],
          });
          const tracer = provider.getTracer('profiler-js-test');
          const t0 = Date.UTC(2026, 2, 1, 12, 0, 0) / 1000;
          const hr = (ms) => [t0 + Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
          const root = tracer.startSpan('GET /js', { kind: api.SpanKind.SERVER, startTime: hr(0), attributes: { 'http.method': 'GET' } });
          const ctx = api.trace.setSpan(api.ROOT_CONTEXT, root);
          tracer.startSpan('db', { startTime: hr(10.001), attributes: { 'db.statement': 'SELECT 1', 'db.rows': 3 } }, ctx).end(hr(30.5));
          const cache = tracer.startSpan('cache', { kind: api.SpanKind.CLIENT, startTime: hr(40.007) }, ctx);
          cache.recordException({ name: 'ConnectionError', message: 'cache down' }, hr(41.5));
          cache.setStatus({ code: api.SpanStatusCode.ERROR, message: 'cache down' });
          cache.end(hr(41.5));
          root.end(hr(100.25));
          await provider.forceFlush();
          await provider.shutdown();
          console.log(root.spanContext().traceId);
        })().catch((e) => { console.error(e); process.exit(1); });
        """;

    [Fact]
    public async Task The_JavaScript_exporters_OTLP_JSON_reads_back_as_the_same_tree()
    {
        var folder = InstallPackages();
        await using var server = await OtlpServer.StartAsync();
        File.WriteAllText(Path.Combine(folder, "send.js"), Script);

        var (code, output, error) = Run("node", folder, "send.js", server.Url + "v1/traces");

        Assert.True(code == 0, $"node send.js failed ({code}): {error}\nserver log:\n{server.Logs.All}");
        var traceId = output.Trim().Split('\n')[^1].Trim();
        var baseId = new Guid(Convert.FromHexString(traceId), bigEndian: true).ToString();
        var report = await server.ReportAsync(baseId);
        Assert.True(report is not null, $"trace {baseId} was not stored; node said: {output} {error}");
        Assert.Equal(
            [
                "0 GET /js 0..100 None shop/js-shop@node-js",
                "1 db 10..30 None shop/js-shop@node-js",
                "1 cache 40..41 ConnectionError shop/js-shop@node-js",
            ],
            JsonNodeReport.Tree(report));
        var db = report["children"]![0]!["children"]![0]!["info"]!["meta.raw_payload.db-start"]!["info"]!;
        Assert.Equal("SELECT 1", (string)db["db.statement"]!);
        Assert.Equal(3, (long)db["db.rows"]!);
    }

    /// <summary>The folder with the packages installed (npm install once; later runs reuse it).</summary>
    private static string InstallPackages()
    {
        var folder = Path.Combine(Path.GetTempPath(), "profiler-otlp-js-" + Convert.ToHexStringLower(
            System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(Packages)))[..12]);
        var marker = Path.Combine(folder, "installed.txt");
        if (File.Exists(marker)) return folder;
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "package.json"), "{\"name\": \"profiler-otlp-js-test\", \"private\": true}");
        var (code, output, error) = Run("npm", folder, ["install", "--no-audit", "--no-fund", "--loglevel=error", .. Packages.Split(' ')]);
        Assert.True(code == 0, $"npm install {Packages} failed ({code}) in {folder}: {error} {output}");
        File.WriteAllText(marker, Packages);
        return folder;
    }

    private static (int Code, string Output, string Error) Run(string program, string folder, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException(
                $"'{program}' is not installed ({e.Message}): this test runs the OpenTelemetry JavaScript exporter with node and npm; " +
                "install them (Debian: apt-get install nodejs npm; ./test.sh does this)");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(true);
                throw new Xunit.Sdk.XunitException($"{program} {string.Join(' ', args)} did not finish within 5 minutes");
            }
            return (process.ExitCode, output.Result, error.Result);
        }
    }
}
