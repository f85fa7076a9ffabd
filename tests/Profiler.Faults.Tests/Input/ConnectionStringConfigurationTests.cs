using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Profiler.Hosting.Web;
using Profiler.Instrumentation;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Input;

/// <summary>
/// Generated malformed connection strings given through configuration: an OpenStack INI file's
/// <c>[profiler] connection_string</c>, <c>Profiler:ConnectionString</c>, and the web shell's options. Each is either
/// accepted as a well-formed URL or refused with one <see cref="FormatException"/> (or, for the shell, a
/// <see cref="TraceStoreException"/> naming the unknown scheme) that never shows the password.
/// </summary>
public sealed class ConnectionStringConfigurationTests(ITestOutputHelper output)
{
    private const int Count = 1200;

    private static bool SecretInPasswordPlace(string text) => text.Contains(":" + MalformedInput.Secret + "@", StringComparison.Ordinal);

    [Fact]
    public void A_thousand_malformed_connection_strings_in_INI_files_and_Profiler_ConnectionString_are_refused_plainly()
    {
        int tried = 0, rejected = 0, accepted = 0, brokenIni = 0;
        var crashes = new List<string>();
        foreach (var text in MalformedInput.ConnectionStrings(Count, seed: 11))
        {
            // INI: one line; the INI reader cuts a value at a line break, which is then what the options see.
            var ini = $"[profiler]\nenabled = true\nconnection_string = {text}\n";
            var sources = new (string Name, Func<IConfiguration> Build)[]
            {
                ("ini", () => new ConfigurationBuilder().AddIniStream(new MemoryStream(Encoding.UTF8.GetBytes(ini))).Build()),
                ("Profiler:ConnectionString", () => new ConfigurationBuilder()
                    .AddInMemoryCollection(new Dictionary<string, string?> { ["Profiler:ConnectionString"] = text }).Build()),
            };
            foreach (var (name, build) in sources)
            {
                tried++;
                try
                {
                    var options = ProfilerOptions.FromConfiguration(build());
                    // Accepted: then it must really be a well-formed URL (or nothing, for an empty value).
                    if (options.ConnectionString is not null && !Profiler.Domain.ConnectionString.TryParse(options.ConnectionString, out _, out _))
                        crashes.Add($"{name}: accepted a malformed value {Show(text)}");
                    accepted++;
                }
                catch (FormatException e)
                {
                    rejected++;
                    if (e.Message.Contains('\n') || e.Message.Length > 2000) crashes.Add($"{name}: message not one short line: {Show(e.Message)}");
                    if (SecretInPasswordPlace(text) && e.Message.Contains(MalformedInput.Secret, StringComparison.Ordinal))
                        crashes.Add($"{name}: password shown: {Show(e.Message)}");
                    // A line break in the value breaks the INI file itself: its reader names the line it cannot read.
                    if (e.Message.StartsWith("Unrecognized line format", StringComparison.Ordinal)) brokenIni++;
                    else if (!e.Message.Contains("connection string", StringComparison.OrdinalIgnoreCase))
                        crashes.Add($"{name}: message does not say what was wrong: {Show(e.Message)}");
                }
                catch (Exception e)
                {
                    crashes.Add($"{name}: {e.GetType().Name}: {Show(e.Message)} for {Show(text)}");
                }
            }
        }
        output.WriteLine($"configuration connection strings: {tried} cases tried ({Count} generated × INI and Profiler:ConnectionString), " +
                         $"{rejected} rejected with a FormatException ({brokenIni} of them by the INI reader), {accepted} well-formed and accepted, {crashes.Count} crashes or leaks");
        Assert.True(crashes.Count == 0, string.Join("\n", crashes.Take(20)));
        Assert.True(rejected >= 1000, $"only {rejected} rejected");
    }

    [Fact]
    public async Task A_thousand_malformed_connection_strings_in_WebShellOptions_fail_before_listening_without_the_password()
    {
        using var noPlugins = new TempDirectory("profiler-faults-noplugins-");
        int tried = 0, rejected = 0;
        var crashes = new List<string>();
        var byType = new SortedDictionary<string, int>();
        foreach (var text in MalformedInput.ConnectionStrings(Count, seed: 12))
        {
            tried++;
            try
            {
                // No plugin folder holds a driver: a well-formed URL fails as an unknown scheme, a malformed one as malformed.
                var app = WebShell.Build(new WebShellOptions { ConnectionString = text, Urls = "http://127.0.0.1:0", PluginFolders = [noPlugins.Path] },
                    configure: b => b.Logging.ClearProviders());
                await app.DisposeAsync();
                crashes.Add($"built a shell for {Show(text)}");
            }
            catch (Exception e) when (e is FormatException or TraceStoreException)
            {
                rejected++;
                byType[e.GetType().Name] = byType.GetValueOrDefault(e.GetType().Name) + 1;
                if (SecretInPasswordPlace(text) && e.Message.Contains(MalformedInput.Secret, StringComparison.Ordinal))
                    crashes.Add($"password shown: {Show(e.Message)}");
            }
            catch (Exception e)
            {
                crashes.Add($"{e.GetType().Name}: {Show(e.Message)} for {Show(text)}");
            }
        }
        output.WriteLine($"WebShellOptions connection strings: {tried} cases tried, {rejected} rejected before listening " +
                         $"({string.Join(", ", byType.Select(kv => $"{kv.Key}: {kv.Value}"))}), {crashes.Count} crashes or leaks");
        Assert.True(crashes.Count == 0, string.Join("\n", crashes.Take(20)));
        Assert.Equal(tried, rejected);
    }

    private static string Show(string s) => s.Length > 150 ? s[..150] + "…" : s.Replace("\n", "\\n");
}
