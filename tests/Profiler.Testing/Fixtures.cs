using System.Net;
using System.Net.Sockets;

namespace Profiler.Testing;

/// <summary>Where the shared OSProfiler fixtures live.</summary>
public static class Fixtures
{
    /// <summary><c>../shared/fixtures/osprofiler</c> beside the repository, found by walking up from the test binaries.</summary>
    public static string OsProfilerDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "fixtures", "osprofiler");
                if (Directory.Exists(candidate)) return candidate;
                candidate = Path.Combine(dir.FullName, "..", "shared", "fixtures", "osprofiler");
                if (Directory.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Profiler.sln")))
                    return Path.GetFullPath(candidate);
            }
            throw new InvalidOperationException(
                "OSProfiler fixtures not found: expected ../shared/fixtures/osprofiler beside the repository checkout.");
        }
    }

    /// <summary>Fixture names: (shape, backend) pairs such as ("simple", "redis").</summary>
    public static IEnumerable<(string Shape, string Backend)> All() =>
        Directory.GetFiles(OsProfilerDirectory, "*.points.jsonl").Select(Path.GetFileName)
            .Select(f => f!.Split('.')).Select(p => (p[0], p[1])).OrderBy(p => p);

    public static string PointsFile(string shape, string backend) =>
        Path.Combine(OsProfilerDirectory, $"{shape}.{backend}.points.jsonl");

    public static string ReportFile(string shape, string backend) =>
        Path.Combine(OsProfilerDirectory, $"{shape}.{backend}.report.json");

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
