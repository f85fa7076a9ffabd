using System.Net;
using System.Net.Sockets;
using Profiler.Storage.Testing;

namespace Profiler.Testing;

/// <summary>
/// OSProfiler's own output, kept in <c>tests/fixtures/osprofiler/</c> and embedded in the test kit
/// (<see cref="OsProfilerFixtures"/>, package Profiler.Storage.Testing): for each shape and backend,
/// <c>&lt;shape&gt;.&lt;backend&gt;.points.jsonl</c> (what the store held) and <c>&lt;shape&gt;.&lt;backend&gt;.report.json</c>
/// (OSProfiler's report of it). Read from that assembly, never from a path outside the clone; this class adds the
/// fixtures as files for code that takes a path.
/// </summary>
public static class Fixtures
{
    private static readonly Lazy<string> Extracted = new(Extract);

    /// <summary>Fixture names: (shape, backend) pairs such as ("simple", "redis").</summary>
    public static IEnumerable<(string Shape, string Backend)> All() => OsProfilerFixtures.All();

    /// <summary>Opens an embedded fixture file by name, e.g. <c>simple.redis.points.jsonl</c>.</summary>
    public static Stream Open(string fileName) => OsProfilerFixtures.Open(fileName);

    /// <summary>The text of an embedded fixture file.</summary>
    public static string ReadText(string fileName) => OsProfilerFixtures.ReadText(fileName);

    /// <summary>The non-empty lines of a fixture's <c>points.jsonl</c>, in file order.</summary>
    public static IReadOnlyList<string> PointLines(string shape, string backend) => OsProfilerFixtures.PointLines(shape, backend);

    /// <summary>
    /// A file holding the fixture's points, for code that takes a path (<c>profiler trace import FILE</c>): the
    /// embedded files are written once per test process into a temporary folder.
    /// </summary>
    public static string PointsFile(string shape, string backend) =>
        Path.Combine(Extracted.Value, $"{shape}.{backend}.points.jsonl");

    /// <summary>A file holding OSProfiler's report of the fixture; see <see cref="PointsFile"/>.</summary>
    public static string ReportFile(string shape, string backend) =>
        Path.Combine(Extracted.Value, $"{shape}.{backend}.report.json");

    /// <summary>
    /// Writes every embedded fixture into a folder named after the test kit's build (its module version id), so
    /// test processes of one build share it and a rebuild gets a fresh one; each file is written beside its final
    /// name and renamed, so a process never reads a half-written file.
    /// </summary>
    private static string Extract()
    {
        var build = typeof(OsProfilerFixtures).Assembly.ManifestModule.ModuleVersionId.ToString("N");
        var folder = Path.Combine(Path.GetTempPath(), "profiler-osprofiler-fixtures", build);
        Directory.CreateDirectory(folder);
        foreach (var name in OsProfilerFixtures.FileNames)
        {
            var target = Path.Combine(folder, name);
            if (File.Exists(target)) continue;
            var partial = $"{target}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            using (var source = OsProfilerFixtures.Open(name))
            using (var file = File.Create(partial))
                source.CopyTo(file);
            File.Move(partial, target, overwrite: true);
        }
        return folder;
    }

    /// <summary>The repository root (the folder holding Profiler.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Profiler.sln"))) return dir.FullName;
            throw new InvalidOperationException("Profiler.sln not found above " + AppContext.BaseDirectory);
        }
    }
}

/// <summary>Free loopback TCP ports for servers a test starts.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
