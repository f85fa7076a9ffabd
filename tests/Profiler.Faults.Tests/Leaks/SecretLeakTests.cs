using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Profiler.Cli.Tests;
using Profiler.Faults.Tests.Corrupt;
using Profiler.Faults.Tests.Input;
using Profiler.Hosting.Web;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Leaks;

/// <summary>
/// Passwords never appear in any output, log line or error; ids never select another trace; servers listen on
/// loopback unless told otherwise.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class SecretLeakTests(PublishedCli cli, ITestOutputHelper output) : IDisposable
{
    private const string Plain = "Leak-Pa55w0rd-1";
    private const string Special = "p@ss:w/rd%Leak2";
    private static readonly string Encoded = Uri.EscapeDataString(Special);
    private readonly TempDirectory _work = new("profiler-faults-leaks-");
    private readonly StringBuilder _everything = new();

    public void Dispose() => _work.Dispose();

    private CliResult Run(params string[] args)
    {
        var r = cli.Run(_work.Path, args);
        // The command line itself holds the password: it is recorded redacted, what the program printed as is.
        _everything.AppendLine($"$ profiler {string.Join(' ', args.Select(Profiler.Domain.ConnectionString.Redact))}\n{r.StandardOutput}{r.StandardError}");
        return r;
    }

    /// <summary>Starts <c>profiler serve</c>, sends a few requests, stops it; everything it printed and answered is collected.</summary>
    private async Task ServeAsync(string store)
    {
        var port = FreePort.Next();
        var info = new ProcessStartInfo(cli.Executable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _work.Path,
        };
        foreach (var a in new[] { "serve", "-c", store, "--urls", $"http://127.0.0.1:{port}" }) info.ArgumentList.Add(a);
        info.Environment.Remove("OSPROFILER_CONNECTION_STRING");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            // Up once it answers (whatever the status); a store it cannot use may make it exit instead.
            var up = false;
            await Waiting.UntilAsync(async () =>
            {
                if (process.HasExited) return true;
                try { using var r = await client.GetAsync("health"); return up = true; }
                catch (HttpRequestException) { return false; }
            }, $"profiler serve -c {Profiler.Domain.ConnectionString.Redact(store)} to answer /health or exit");
            if (up)
                foreach (var (method, path, body) in new[] { ("GET", "health", ""), ("GET", "api/v1/traces", ""), ("GET", "api/v1/traces/abc", ""), ("GET", "", ""),
                             ("GET", "traces/abc", ""), ("POST", "api/v1/points", "[" + Points.Json("leak", "leak-a") + "]") })
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (method == "POST") request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                    using var response = await client.SendAsync(request);
                    _everything.AppendLine($"{method} /{path}: {(int)response.StatusCode} {response.Headers} {await response.Content.ReadAsStringAsync()}");
                }
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        _everything.AppendLine($"$ profiler serve -c {Profiler.Domain.ConnectionString.Redact(store)}: exit {process.ExitCode}\n{await stdout}{await stderr}");
    }

    [Fact]
    public async Task Passwords_never_appear_in_any_output_log_line_or_error()
    {
        using var redis = new AdminRedisServer(password: "the-real-one");
        var closed = FreePort.Next();
        var points = Path.Combine(_work.Path, "points.jsonl");
        await File.WriteAllTextAsync(points, Points.Json("leak", "leak-a") + "\n");
        var scenarios = 0;
        foreach (var secret in new[] { Plain, Encoded })
        {
            string[] stores =
            [
                $"redis://:{secret}@127.0.0.1:{redis.Port}/0", // wrong password
                $"redis://user:{secret}@127.0.0.1:{redis.Port}/0",
                $"rediss://:{secret}@127.0.0.1:{closed}/0",
                $"redissentinel://:{secret}@127.0.0.1:{closed}/0",
                $"mysql+pymysql://nova:{secret}@127.0.0.1:{closed}/profiler",
                $"mysql://nova:{secret}@127.0.0.1:{closed}/profiler?charset=utf8",
                $"postgresql://user:{secret}@127.0.0.1:{closed}/traces",
                $"postgresql+psycopg2://user:{secret}@127.0.0.1:{closed}/traces?password={secret}",
                // Malformed or refused by the driver.
                $"redis://:{secret}@127.0.0.1:notaport/0",
                $"redis://:{secret}@127.0.0.1:{closed}/0?socket_timeout=abc",
                $"redis://:{secret}@127.0.0.1:{closed}/notadb",
                $"mysql://nova:{secret}@[::1/profiler",
                $"mysql://nova:{secret}@db host/profiler",
                $"sqlite://:{secret}@host/x.db",
                $"nosuchscheme://:{secret}@127.0.0.1/x",
                $"redis://:{secret}@127.0.0.1:{closed}/0?token={secret}&key={secret}",
            ];
            foreach (var store in stores)
            {
                Run("trace", "list", "-c", store);
                scenarios++;
                if (secret != Plain) continue; // the percent-encoded form: listing is enough
                Run("trace", "show", "some-trace", "-c", store);
                Run("trace", "import", points, "-c", store);
                scenarios += 2;
            }
            Run("drivers", "-c", stores[0]);
            scenarios++;
            foreach (var store in secret == Plain ? new[] { stores[0], stores[4], stores[8] } : [stores[0]])
            {
                await ServeAsync(store);
                scenarios++;
            }
            // The web shell in-process, its whole log at Debug level, over a store that refuses the password.
            var logs = new LogCapture();
            var app = WebShell.Build(new WebShellOptions
            {
                ConnectionString = stores[0], Urls = "http://127.0.0.1:0", PluginFolders = [InProcessShell.PluginFolder],
            }, configure: b =>
            {
                b.Logging.ClearProviders();
                b.Logging.AddProvider(logs);
                b.Logging.SetMinimumLevel(LogLevel.Trace);
            });
            await app.StartAsync();
            using (var client = new HttpClient { BaseAddress = new Uri(app.ListeningUrls().Single() + "/") })
                foreach (var path in new[] { "health", "api/v1/traces", "api/v1/traces/x", "traces/x", "" })
                {
                    using var r = await client.GetAsync(path);
                    _everything.AppendLine($"in-process GET /{path}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
                }
            await app.StopAsync();
            await app.DisposeAsync();
            _everything.AppendLine(logs.All);
            scenarios++;
        }

        var text = _everything.ToString();
        var leaks = new[] { Plain, Special, Encoded, "Pa55w0rd", "Leak2" }
            .Select(s => (Secret: s, Count: CountOf(text, s))).Where(x => x.Count > 0).ToList();
        output.WriteLine($"secret leaks: {scenarios} scenarios, {text.Length} characters of output, logs and answers collected, " +
                         $"{text.Split('\n').Length} lines; {leaks.Sum(l => l.Count)} occurrences of a password; " +
                         $"{CountOf(text, "***")} redactions (***); {CountOf(text, "   at ")} stack trace lines");
        var firstLeak = leaks.Count == 0 ? "" : LineAround(text, leaks[0].Secret);
        Assert.True(leaks.Count == 0, $"password found: {string.Join(", ", leaks)}; e.g. {firstLeak}");
        Assert.Equal(0, CountOf(text, "   at "));
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static string LineAround(string text, string value)
    {
        var i = text.IndexOf(value, StringComparison.Ordinal);
        var start = text.LastIndexOf('\n', i) + 1;
        var end = text.IndexOf('\n', i);
        return text[start..(end < 0 ? text.Length : end)];
    }

    [Fact]
    public void Ids_with_glob_or_path_characters_never_read_another_trace()
    {
        using var redis = new AdminRedisServer();
        var sqlite = $"sqlite:///{_work.Path}/ids.db";
        var simple = FixtureTrace.Load("simple", "redis").BaseId;
        string[] ids =
        [
            "*", "?", "[a-z]*", "[^x]*", "e*", simple[..8], simple[..8] + "*", simple[..^1], simple[..^1] + "?", simple + "*",
            "osprofiler_opt:*", "osprofiler_opt:" + simple, "osprofiler:*", "%", "_", simple[..8] + "%", "..", "../" + simple, "/" + simple,
            simple + "\n", " " + simple, "\\*", "{" + simple + "}",
        ];
        int tried = 0, refused = 0;
        foreach (var store in new[] { redis.Url(), sqlite })
        {
            foreach (var shape in new[] { "simple", "deep" })
                Assert.Equal(0, cli.Run(_work.Path, "trace", "import", Fixtures.PointsFile(shape, "redis"), "-c", store).ExitCode);
            if (store != sqlite) // a legacy point too, whose key only starts with the id
                redis.Db.StringSet($"osprofiler:{simple}-legacy", File.ReadAllLines(Fixtures.PointsFile("simple", "redis"))[0]);
            foreach (var id in ids)
            {
                tried++;
                var show = cli.Run(_work.Path, "trace", "show", id, "-c", store);
                if (show.ExitCode is 1 or 2 && show.StandardOutput.Length == 0 && !show.All.Contains("   at ", StringComparison.Ordinal)) refused++;
                else output.WriteLine($"{store} {id}: exit {show.ExitCode}: {show.All[..Math.Min(300, show.All.Length)]}");
            }
            Assert.Equal(0, cli.Run(_work.Path, "trace", "show", simple, "-c", store).ExitCode);
        }
        output.WriteLine($"glob and path ids: {tried} trace show runs against Redis and SQLite, {refused} refused (not found or invalid id), " +
                         $"{tried - refused} read a trace");
        Assert.Equal(tried, refused);
    }

    [Fact]
    public async Task The_web_shell_listens_on_loopback_only_unless_told_otherwise()
    {
        var help = cli.Run(_work.Path, "serve", "--help");
        Assert.Contains(WebShellOptions.DefaultUrls, help.StandardOutput);
        Assert.True(WebShell.IsLoopbackOnly(WebShellOptions.DefaultUrls));
        Assert.Equal(WebShellOptions.DefaultUrls, new WebShellOptions { ConnectionString = "sqlite:///x.db" }.Urls);
        // Even with ASP.NET Core's own settings asking for every interface, the shell's default wins.
        var app = WebShell.Build(new WebShellOptions { ConnectionString = $"sqlite:///{_work.Path}/l.db", PluginFolders = [InProcessShell.PluginFolder] },
            ["--urls", "http://0.0.0.0:1", "--Kestrel:Endpoints:x:Url", "http://0.0.0.0:2"], b => b.Logging.ClearProviders());
        var urls = app.Configuration["urls"];
        await app.DisposeAsync();
        output.WriteLine($"profiler serve default: {WebShellOptions.DefaultUrls}; with --urls 0.0.0.0 in the host's own arguments: urls = {urls}");
        Assert.Equal(WebShellOptions.DefaultUrls, urls);
    }
}
