using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Packaging.Tests;

/// <summary>
/// samples/WebApi as a user builds it: copied out of the repository, restored from the packed folder (Profiler.*) and the
/// machine's usual sources (everything else), run against a real redis-server, sent one signed request made by the
/// installed tool, and its trace read back with that tool.
/// </summary>
[Collection(PackedSolutionCollection.Name)]
public sealed class WebApiSampleTests(PackedSolution packed)
{
    private const string Version = "0.2.0";
    private const string Key = "sample-hmac-key";

    [Fact]
    public async Task The_web_sample_built_from_the_packages_records_a_signed_request_with_its_http_call_and_queries_in_redis()
    {
        var work = packed.NewFolder("webapi");
        var app = Path.Combine(work, "app");
        CopySample(Path.Combine(Fixtures.RepositoryRoot, "samples", "WebApi"), app);
        // A private package folder: the global one keeps the first Profiler.* 0.2.0 it ever saw, maybe an older build.
        var environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = Path.Combine(work, "nuget-packages"),
            ["DOTNET_NOLOGO"] = "1",
        };
        // The tool's own data folder (its default SQLite store) in a fresh home.
        var toolEnvironment = new Dictionary<string, string>(environment) { ["HOME"] = packed.NewFolder("webapi-home") };
        WriteNugetConfig(app, work);

        var output = Path.Combine(work, "out");
        ServerProcess.Run("dotnet", ["build", app, "-c", "Release", "-o", output, "-nologo"], workingDirectory: app,
            environment: environment, timeout: TimeSpan.FromMinutes(10));
        Assert.DoesNotContain(Directory.GetFiles(output, "*.dll"), f => Path.GetFileName(f).StartsWith("Profiler.Testing", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(output, "Profiler.Infrastructure.Redis.dll")));

        var toolPath = InstallTool(work, environment);
        using var redis = new RedisProcess();
        using var sample = ServerProcess.StartOnFreePort(port => ServerProcess.Start("samples/WebApi", "dotnet",
            [Path.Combine(output, "WebApi.dll"), "--urls", $"http://127.0.0.1:{port}"], port, workingDirectory: output,
            environment: new Dictionary<string, string>(environment)
            {
                ["Profiler__Enabled"] = "true",
                ["Profiler__HmacKeys"] = Key,
                ["Profiler__ConnectionString"] = redis.Url(),
            }, timeout: TimeSpan.FromMinutes(2)), out var appPort);

        var headers = JsonNode.Parse(ServerProcess.Run(Path.Combine(toolPath, "profiler"),
            ["trace", "headers", "--hmac-key", Key, "--format", "json"], workingDirectory: work, environment: toolEnvironment))!;
        var baseId = (string)headers["base_id"]!;
        using (var client = new HttpClient { Timeout = TimeSpan.FromMinutes(1) })
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{appPort}/servers"))
        {
            request.Headers.Add("X-Trace-Info", (string)headers["X-Trace-Info"]!);
            request.Headers.Add("X-Trace-HMAC", (string)headers["X-Trace-HMAC"]!);
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}\n{sample.Output}");
            Assert.Equal("[\"compute-1\",\"compute-2\"]", body);
        }

        // Points reach redis in the background: read the trace until every operation is there (or give up after a while).
        var report = await ReadTraceAsync(toolPath, work, toolEnvironment, baseId, redis.Url(),
            r => r?["stats"] is JsonObject s && s["wsgi"]?["count"]?.GetValue<int>() == 2 && s["http_client"] is not null && s["db"] is not null);

        Assert.True(report is not null, $"trace {baseId} never held wsgi ×2, http_client and db\n{sample.Output}");
        var stats = report["stats"]!.AsObject();
        Assert.Superset(new HashSet<string> { "wsgi", "http_client", "db", "summarize" }, stats.Select(p => p.Key).ToHashSet());
        // The outer request, its call to /servers/details and that request's query nest as one tree.
        var outer = Assert.Single(report["children"]!.AsArray());
        Assert.Equal("wsgi", (string)outer!["info"]!["name"]!);
        var call = Assert.Single(outer["children"]!.AsArray(), c => (string)c!["info"]!["name"]! == "http_client")!;
        var inner = Assert.Single(call["children"]!.AsArray())!;
        Assert.Equal("wsgi", (string)inner["info"]!["name"]!);
        Assert.Contains(inner["children"]!.AsArray(), c => (string)c!["info"]!["name"]! == "db");
    }

    private static void CopySample(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from).Where(d => Path.GetFileName(d) is not ("bin" or "obj")))
            CopySample(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    /// <summary>
    /// Profiler.* only from the packed folder (package source mapping); everything else from the machine's usual
    /// sources and, for offline machines, from the global package folder read as a local feed.
    /// </summary>
    private void WriteNugetConfig(string app, string work)
    {
        // The user's sources, read before the sample's own nuget.config is replaced.
        File.Delete(Path.Combine(app, "nuget.config"));
        var usual = ServerProcess.Run("dotnet", ["nuget", "list", "source", "--format", "short"], workingDirectory: work)
            .Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("E ", StringComparison.Ordinal)).Select(l => l[2..].Trim())
            .Where(s => s.Length > 0).ToList();
        var cache = ServerProcess.Run("dotnet", ["nuget", "locals", "global-packages", "--list"], workingDirectory: work)
            .Split(':', 2)[1].Trim();
        var others = new List<(string Key, string Source)> { ("global-cache", cache) };
        others.AddRange(usual.Select((s, i) => ($"usual-{i}", s)));
        static string Escape(string s) => System.Security.SecurityElement.Escape(s);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="profiler-packed" value="{Escape(packed.Folder)}" />
            {string.Concat(others.Select(o => $"    <add key=\"{o.Key}\" value=\"{Escape(o.Source)}\" />\n"))}  </packageSources>
              <packageSourceMapping>
                <packageSource key="profiler-packed"><package pattern="Profiler.*" /></packageSource>
            {string.Concat(others.Select(o => $"    <packageSource key=\"{o.Key}\"><package pattern=\"*\" /></packageSource>\n"))}  </packageSourceMapping>
            </configuration>
            """);
    }

    private string InstallTool(string work, Dictionary<string, string> environment)
    {
        var config = Path.Combine(work, "tool-nuget.config");
        File.WriteAllText(config, "<configuration><packageSources><clear /></packageSources></configuration>");
        var toolPath = Path.Combine(work, "tool");
        ServerProcess.Run("dotnet", ["tool", "install", "--tool-path", toolPath, "--configfile", config, "--add-source", packed.Folder,
            "Profiler.Cli", "--version", Version], workingDirectory: work, environment: environment, timeout: TimeSpan.FromMinutes(5));
        return toolPath;
    }

    private static async Task<JsonNode?> ReadTraceAsync(string toolPath, string work, Dictionary<string, string> environment,
        string baseId, string connection, Func<JsonNode?, bool> complete)
    {
        var deadline = DateTime.UtcNow + Waiting.Patience;
        while (true)
        {
            JsonNode? report = null;
            try
            {
                report = JsonNode.Parse(ServerProcess.Run(Path.Combine(toolPath, "profiler"), ["trace", "show", baseId, "-c", connection, "--json"],
                    workingDirectory: work, environment: environment));
            }
            catch (Exception e) when (e is InvalidOperationException or System.Text.Json.JsonException && DateTime.UtcNow < deadline)
            {
                // Not there yet (exit code 1).
            }
            if (complete(report)) return report;
            if (DateTime.UtcNow >= deadline) return null;
            await Task.Delay(250);
        }
    }
}
