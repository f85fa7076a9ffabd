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
/// in the plugin's folder or part of the host (the runtime, ASP.NET Core, the host's own assemblies). Reads only
/// metadata, loads nothing: a plugin whose dependency is missing would otherwise load, then fail at its first use
/// with a bare "Could not load file or assembly" that names no plugin.
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
        return Checked.GetOrAdd(key, _ => Walk(dll));
    }

    /// <summary>One sentence naming the missing assemblies and what to do about it.</summary>
    public static string Describe(IReadOnlyList<MissingDependency> missing, string folder)
    {
        var listed = string.Join("; ", missing.Take(5).Select(m => $"'{m.Assembly}' (referenced by {m.ReferencedBy})"));
        var more = missing.Count > 5 ? $" and {missing.Count - 5} more" : "";
        return $"its folder {folder} lacks the assembl{(missing.Count == 1 ? "y" : "ies")} {listed}{more}, and the host does not provide " +
               $"{(missing.Count == 1 ? "it" : "them")}. Install the plugin with its dependencies (the output of dotnet publish, not of dotnet build).";
    }

    private static List<MissingDependency> Walk(string dll)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(dll))!;
        // Every assembly file of the plugin, by simple name (runtime-specific copies under runtimes/ count too).
        var files = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in Directory.EnumerateFiles(folder, "*.dll", SearchOption.AllDirectories))
            files.TryAdd(Path.GetFileNameWithoutExtension(file), file);
        var loadedByHost = AssemblyLoadContext.Default.Assemblies.Select(a => a.GetName().Name)
            .Where(n => n is not null).ToHashSet(StringComparer.OrdinalIgnoreCase);

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
