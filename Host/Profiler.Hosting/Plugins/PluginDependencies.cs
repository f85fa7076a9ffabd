using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;

namespace Profiler.Hosting.Plugins;

/// <summary>An assembly a plugin needs that neither its folder nor the host holds.</summary>
/// <param name="Assembly">The missing assembly's name and version, as referenced.</param>
/// <param name="ReferencedBy">The file (in the plugin's folder) that references it.</param>
public sealed record MissingDependency(string Assembly, string ReferencedBy);

/// <summary>
/// Checks, before a plugin is loaded, that every assembly its code references (and theirs, transitively) is either
/// in the plugin's folder or part of the host (the runtime, ASP.NET Core, the host's own assemblies). Reads the
/// plugin's <c>.deps.json</c> when it has one (what <c>dotnet publish</c> writes, and what its load context resolves
/// from), else the assemblies' metadata; loads nothing: a plugin whose dependency is missing would otherwise load, then
/// fail at its first use with a bare "Could not load file or assembly" that names no plugin.
/// </summary>
internal static class PluginDependencies
{
    /// <summary>Checked once per plugin file and version per process.</summary>
    private static readonly ConcurrentDictionary<string, IReadOnlyList<MissingDependency>> Checked = new(StringComparer.Ordinal);

    private static readonly Lazy<HashSet<string>> HostAssemblies = new(() =>
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
            foreach (var path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                names.Add(Path.GetFileNameWithoutExtension(path));
        return names;
    });

    /// <summary>The missing dependencies of the plugin assembly <paramref name="dll"/>; empty when it has all it needs.</summary>
    public static IReadOnlyList<MissingDependency> FindMissing(string dll)
    {
        var key = Path.GetFullPath(dll) + "|" + File.GetLastWriteTimeUtc(dll).Ticks;
        return Checked.GetOrAdd(key, _ => FromDependencyFile(dll) ?? Walk(dll));
    }

    /// <summary>One sentence naming the missing assemblies and what to do about it.</summary>
    public static string Describe(IReadOnlyList<MissingDependency> missing, string folder)
    {
        var listed = string.Join("; ", missing.Take(5).Select(m => $"'{m.Assembly}' (referenced by {m.ReferencedBy})"));
        var more = missing.Count > 5 ? $" and {missing.Count - 5} more" : "";
        return $"its folder {folder} lacks the assembl{(missing.Count == 1 ? "y" : "ies")} {listed}{more}, and the host does not provide " +
               $"{(missing.Count == 1 ? "it" : "them")}. Install the plugin with its dependencies (the output of dotnet publish, not of dotnet build).";
    }

    /// <summary>
    /// The check from the plugin's <c>.deps.json</c> (what its load context resolves from, written by <c>dotnet
    /// publish</c>): every managed file it lists for the plugin's runtime must be in the plugin's folder, or its assembly
    /// part of the host. Null when the plugin has no readable <c>.deps.json</c> (then <see cref="Walk"/> reads the
    /// assemblies' references). Reads one small file instead of the metadata of every assembly of the plugin: that walk
    /// (System.Reflection.Metadata's first use included) was about 15 ms of a short command's start-up.
    /// </summary>
    private static List<MissingDependency>? FromDependencyFile(string dll)
    {
        var depsFile = Path.ChangeExtension(dll, ".deps.json");
        if (!File.Exists(depsFile)) return null;
        var folder = Path.GetDirectoryName(Path.GetFullPath(dll))!;
        try
        {
            using var deps = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(depsFile));
            var root = deps.RootElement;
            if (!root.TryGetProperty("runtimeTarget", out var runtimeTarget) || !runtimeTarget.TryGetProperty("name", out var targetName)
                || !root.TryGetProperty("targets", out var targets) || !targets.TryGetProperty(targetName.GetString() ?? "", out var libraries))
                return null;
            var loadedByHost = LoadedByHost();
            var missing = new List<MissingDependency>();
            foreach (var library in libraries.EnumerateObject())
            {
                if (!library.Value.TryGetProperty("runtime", out var runtime)) continue;
                foreach (var asset in runtime.EnumerateObject())
                {
                    var file = asset.Name.Replace('/', Path.DirectorySeparatorChar);
                    var name = Path.GetFileNameWithoutExtension(file);
                    if (File.Exists(Path.Combine(folder, Path.GetFileName(file))) || File.Exists(Path.Combine(folder, file))
                        || HostAssemblies.Value.Contains(name) || loadedByHost.Contains(name))
                        continue;
                    var version = asset.Value.TryGetProperty("assemblyVersion", out var v) && v.GetString() is { Length: > 0 } assemblyVersion
                        ? assemblyVersion
                        : library.Name[(library.Name.IndexOf('/', StringComparison.Ordinal) + 1)..];
                    missing.Add(new MissingDependency($"{name}, Version={version}", ReferencingFile(libraries, library.Name, dll)));
                }
            }
            return missing;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The file of the library whose dependencies name <paramref name="library"/> (<c>Name/Version</c>); the plugin's own file when none does.</summary>
    private static string ReferencingFile(System.Text.Json.JsonElement libraries, string library, string dll)
    {
        var name = library.Split('/')[0];
        foreach (var other in libraries.EnumerateObject())
            if (other.Value.TryGetProperty("dependencies", out var dependencies) && dependencies.TryGetProperty(name, out _)
                && other.Value.TryGetProperty("runtime", out var runtime))
                foreach (var asset in runtime.EnumerateObject())
                    return Path.GetFileName(asset.Name);
        return Path.GetFileName(dll);
    }

    private static HashSet<string> LoadedByHost() =>
        AssemblyLoadContext.Default.Assemblies.Select(a => a.GetName().Name).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static List<MissingDependency> Walk(string dll)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(dll))!;
        // Every assembly file of the plugin, by simple name (runtime-specific copies under runtimes/ count too).
        var files = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in Directory.EnumerateFiles(folder, "*.dll", SearchOption.AllDirectories))
            files.TryAdd(Path.GetFileNameWithoutExtension(file), file);
        var loadedByHost = LoadedByHost();

        var missing = new List<MissingDependency>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { Path.GetFileNameWithoutExtension(dll) };
        var queue = new Queue<string>([dll]);
        while (queue.Count > 0)
        {
            var file = queue.Dequeue();
            foreach (var reference in References(file))
            {
                var name = reference.Name;
                if (name is null || !seen.Add(name)) continue;
                if (files.TryGetValue(name, out var local)) queue.Enqueue(local);
                else if (!HostAssemblies.Value.Contains(name) && !loadedByHost.Contains(name))
                    missing.Add(new MissingDependency(reference.FullName, Path.GetFileName(file)));
            }
        }
        return missing;
    }

    /// <summary>The assemblies <paramref name="file"/> references; none when it is not a readable .NET assembly (the loader reports that).</summary>
    private static List<AssemblyName> References(string file)
    {
        try
        {
            using var stream = File.OpenRead(file);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata) return [];
            var reader = pe.GetMetadataReader();
            return reader.AssemblyReferences.Select(h => reader.GetAssemblyReference(h).GetAssemblyName()).ToList();
        }
        catch (Exception e) when (e is BadImageFormatException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return [];
        }
    }
}
