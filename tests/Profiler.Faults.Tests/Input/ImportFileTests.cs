using System.Text;
using Profiler.Cli.Tests;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Input;

/// <summary>
/// <c>profiler trace import</c> with malformed JSON Lines: a file of over a thousand generated bad lines, and whole-file
/// cases (truncated, binary, CRLF, BOM, empty lines, one huge line, a folder, a missing file, a symlink to a secret
/// file). A bad file exits 2 with one line per problem and a summary, stores nothing and prints no stack trace; a
/// file that is only oddly formatted (CRLF, BOM, UTF-16 with its BOM, empty lines) imports.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class ImportFileTests(PublishedCli cli, ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new("profiler-faults-import-");

    public void Dispose() => _work.Dispose();

    private static readonly string[] Good = File.ReadAllLines(Fixtures.PointsFile("simple", "redis")).Where(l => l.Length > 0).ToArray();
    private static readonly string BaseId = FixtureTrace.Load("simple", "redis").BaseId;

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_work.Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Malformed_files_are_refused_whole_and_odd_but_valid_ones_import()
    {
        const string HashSecret = "$6$SeCrEtHaSh$abcdefghijklmnop";
        var shadow = Write("shadow", Encoding.UTF8.GetBytes($"root:{HashSecret}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"));
        var link = Path.Combine(_work.Path, "points-link.jsonl");
        File.CreateSymbolicLink(link, shadow);
        var lines = new StringBuilder();
        var generated = 0;
        foreach (var line in MalformedInput.BadPoints(1200, seed: 31).Where(b => !b.Contains((byte)'\n') && !b.Contains((byte)'\r')))
        {
            if (!System.Text.Unicode.Utf8.IsValid(line)) continue; // one invalid byte ends the reading: those get files of their own
            lines.Append(Encoding.UTF8.GetString(line)).Append('\n');
            generated++;
        }
        var random = new Random(32);
        var bad = new List<(string Name, string Path)>
        {
            ("1,000+ generated bad lines after a good one", Write("generated.jsonl", Encoding.UTF8.GetBytes(Good[0] + "\n" + lines))),
            ("truncated file", Write("truncated.jsonl", Encoding.UTF8.GetBytes(string.Join("\n", Good)[..^17]))),
            ("binary garbage", Write("binary.jsonl", Enumerable.Range(0, 4096).Select(_ => (byte)random.Next(256)).ToArray())),
            ("NUL bytes", Write("nul.jsonl", new byte[1024])),
            ("invalid UTF-8 in the last line", Write("utf8.jsonl", [.. Encoding.UTF8.GetBytes(string.Join("\n", Good) + "\n{\"name\": \""), 0xC3, 0x28, .. "\"}"u8])),
            ("one huge line", Write("huge.jsonl", Encoding.UTF8.GetBytes(Good[0][..^1] + ", \"pad\": \"" + new string('x', 20_000_000) + "\"\n"))),
            ("one huge line of garbage", Write("hugegarbage.jsonl", Encoding.UTF8.GetBytes(new string('{', 5_000_000)))),
            ("a JSON array instead of lines", Write("array.jsonl", Encoding.UTF8.GetBytes("[" + string.Join(",", Good) + "]"))),
            ("pretty-printed JSON", Write("pretty.jsonl", Encoding.UTF8.GetBytes(Good[0].Replace(", ", ",\n  ")))),
            ("only empty lines", Write("empty-lines.jsonl", "\n\r\n  \n\t\n"u8.ToArray())),
            ("empty file", Write("empty.jsonl", [])),
            ("a folder", _work.Path),
            ("a missing file", Path.Combine(_work.Path, "missing.jsonl")),
            ("a path through a missing folder", Path.Combine(_work.Path, "no", "such", "..", "file.jsonl")),
            ("a symlink to a password file", link),
            ("a ../ path to a password file", Path.Combine(_work.Path, "a", "..", "shadow")),
            ("/dev/null", "/dev/null"),
        };
        var ok = new List<(string Name, string Path)>
        {
            ("CRLF line ends", Write("crlf.jsonl", Encoding.UTF8.GetBytes(string.Join("\r\n", Good) + "\r\n"))),
            // A byte order mark names the encoding: a UTF-16 file that says so is read as UTF-16.
            ("a UTF-16 file with its BOM", Write("utf16.jsonl", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(string.Join("\n", Good))])),
            ("a BOM", Write("bom.jsonl", [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(string.Join("\n", Good))])),
            ("empty lines between points", Write("gaps.jsonl", Encoding.UTF8.GetBytes("\n\n" + string.Join("\n\n  \n", Good) + "\n\n"))),
        };
        var store = $"sqlite:///{_work.Path}/import.db";
        int tried = 0, rejected = 0, crashes = 0;
        foreach (var (name, path) in bad)
        {
            tried++;
            var r = cli.Run(_work.Path, "trace", "import", path, "-c", store);
            var last = r.StandardError.TrimEnd().Split('\n')[^1];
            var clean = r.ExitCode == 2 && last.StartsWith("profiler: ", StringComparison.Ordinal) && !r.All.Contains("   at ", StringComparison.Ordinal)
                        && r.StandardOutput.Length == 0 && !r.All.Contains(HashSecret, StringComparison.Ordinal)
                        && r.StandardError.Split('\n').Length <= 23;
            if (clean) rejected++; else crashes++;
            output.WriteLine($"{name}: exit {r.ExitCode}: {(last.Length > 220 ? last[..220] + "…" : last)}");
            Assert.True(clean, $"{name}: exit {r.ExitCode}\n{r.All[..Math.Min(r.All.Length, 2000)]}");
        }
        var stored = cli.Run(_work.Path, "trace", "list", "-c", store);
        output.WriteLine($"trace import: {tried} malformed files ({generated} generated bad lines in one of them) tried, {rejected} refused with exit 2, " +
                         $"{crashes} crashes; trace list after: {stored.StandardOutput.Split('\n').Count(l => l.StartsWith("| ") && !l.Contains("base_id"))} traces stored");
        Assert.True(generated >= 1000);
        Assert.DoesNotContain(BaseId, stored.StandardOutput);

        foreach (var (name, path) in ok)
        {
            var okStore = $"sqlite:///{_work.Path}/{Path.GetFileNameWithoutExtension(path)}.db";
            var r = cli.Run(_work.Path, "trace", "import", path, "-c", okStore);
            output.WriteLine($"{name}: exit {r.ExitCode}: {r.StandardOutput.Trim()}");
            Assert.True(r.ExitCode == 0, r.All);
            Assert.Contains($"Imported {Good.Length} points of 1 trace(s)", r.StandardOutput);
            Assert.Equal(0, cli.Run(_work.Path, "trace", "show", BaseId, "-c", okStore).ExitCode);
        }
    }
}
