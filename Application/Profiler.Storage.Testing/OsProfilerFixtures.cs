using System.Reflection;

namespace Profiler.Storage.Testing;

/// <summary>
/// OSProfiler's own output, embedded in this assembly (resource names <c>osprofiler/&lt;file&gt;</c>): for each trace
/// shape and backend, <c>&lt;shape&gt;.&lt;backend&gt;.points.jsonl</c> (what OSProfiler's collector held) and
/// <c>&lt;shape&gt;.&lt;backend&gt;.report.json</c> (OSProfiler's report of it). Backends are <c>redis</c> (whole point
/// documents, one a line) and <c>mysql</c> (rows of the <c>data</c> table). Read from the assembly, never from a file.
/// </summary>
public static class OsProfilerFixtures
{
    private const string Prefix = "osprofiler/";

    private static readonly Assembly Assembly = typeof(OsProfilerFixtures).Assembly;

    /// <summary>The embedded fixture files' names, e.g. <c>simple.redis.points.jsonl</c>, in ordinal order.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        [.. Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(n => n[Prefix.Length..])
            .Order(StringComparer.Ordinal)];

    /// <summary>Fixture names: (shape, backend) pairs such as ("simple", "redis"), ordered by shape then backend.</summary>
    public static IEnumerable<(string Shape, string Backend)> All() =>
        FileNames
            .Where(n => n.EndsWith(".points.jsonl", StringComparison.Ordinal))
            .Select(n => n.Split('.')).Select(p => (p[0], p[1])).OrderBy(p => p);

    /// <summary>Opens an embedded fixture file by name, e.g. <c>simple.redis.points.jsonl</c>.</summary>
    /// <exception cref="FileNotFoundException">No fixture of that name is embedded; the message lists those that are.</exception>
    public static Stream Open(string fileName) =>
        Assembly.GetManifestResourceStream(Prefix + fileName)
        ?? throw new FileNotFoundException(
            $"No OSProfiler fixture '{fileName}' is embedded in {Assembly.GetName().Name}: the fixtures are ({string.Join(", ", FileNames)}).",
            fileName);

    /// <summary>The text of an embedded fixture file; see <see cref="Open"/>.</summary>
    public static string ReadText(string fileName)
    {
        using var reader = new StreamReader(Open(fileName));
        return reader.ReadToEnd();
    }

    /// <summary>The non-empty lines of a fixture's <c>points.jsonl</c>, in file order.</summary>
    public static IReadOnlyList<string> PointLines(string shape, string backend) =>
        [.. ReadText($"{shape}.{backend}.points.jsonl").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)];
}
