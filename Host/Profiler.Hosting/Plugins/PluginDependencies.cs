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
/// <see cref="PluginCatalog"/> walks a plugin's assemblies with <see cref="FindMissing"/> only when a file its
/// <c>.deps.json</c> lists is absent, or it has none (<see cref="ListedFilesPresent"/>): reading the metadata of every
/// assembly of every plugin (System.Reflection.Metadata's first use included) cost a short command ~15 ms.
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

    /// <summary>Whether the host (the runtime, ASP.NET Core, the host's own assemblies) has an assembly of this simple name.</summary>
    public static bool IsHostAssembly(string name) => HostAssemblies.Value.Contains(name);

    /// <summary>The missing dependencies of the plugin assembly <paramref name="dll"/>; empty when it has all it needs.</summary>
    public static IReadOnlyList<MissingDependency> FindMissing(string dll)
    {
        var key = Path.GetFullPath(dll) + "|" + File.GetLastWriteTimeUtc(dll).Ticks;
        return Checked.GetOrAdd(key, _ => Walk(dll));
    }

    /// <summary>
    /// Whether the plugin <paramref name="dll"/> has a <c>.deps.json</c> (what <c>dotnet publish</c> writes, and what its
    /// load context resolves from) and every file it names is in the plugin's folder (by name, or at its path under
    /// the folder). A cheap look, not a JSON parse: every string ending in <c>.dll</c> is a file the plugin may load
    /// (its runtime and native assets; satellite <c>.resources.dll</c> are left aside). False sends the caller to the
    /// exact check, <see cref="FindMissing"/>, which also accepts a file the host provides.
    /// </summary>
    public static bool ListedFilesPresent(string dll)
    {
        var deps = Path.ChangeExtension(dll, ".deps.json");
        var folder = Path.GetDirectoryName(Path.GetFullPath(dll))!;
        byte[] json;
        try
        {
            if (!File.Exists(deps)) return false;
            json = File.ReadAllBytes(deps);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        // The file's bytes, searched as they are (the names are ASCII as the SDK writes them); a string ending in ".dll",
        // in any case, is a file name, and only those are decoded.
        ReadOnlySpan<byte> text = json;
        for (var q = text.IndexOf((byte)'"'); q >= 0; q = text[(q + 1)..].IndexOf((byte)'"') is var n and >= 0 ? q + 1 + n : -1)
        {
            if (q < 4 || !System.Text.Ascii.EqualsIgnoreCase(text[(q - 4)..q], ".dll"u8)) continue;
            var start = text[..(q - 4)].LastIndexOf((byte)'"') + 1;
            var file = System.Text.Encoding.UTF8.GetString(text[start..q]).Replace('/', Path.DirectorySeparatorChar);
            if (file.EndsWith(".resources.dll", StringComparison.OrdinalIgnoreCase)) continue;
            if (!File.Exists(Path.Combine(folder, Path.GetFileName(file))) && !File.Exists(Path.Combine(folder, file))) return false;
        }
        return true;
    }

    /// <summary>
    /// Whether every assembly the loaded plugin assembly <paramref name="assembly"/> (from <paramref name="dll"/>)
    /// references directly is beside it or part of the host: its own references only, from the runtime's metadata,
    /// nothing loaded. <see cref="ListedFilesPresent"/> covers what the plugin's <c>.deps.json</c> lists; this covers a
    /// reference meant to come from the host (a contract assembly). False sends the caller to <see cref="FindMissing"/>,
    /// which also looks in the folder's subfolders (runtime-specific copies).
    /// </summary>
    public static bool ReferencesPresent(Assembly assembly, string dll)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(dll))!;
        HashSet<string>? loadedByHost = null;
        foreach (var reference in assembly.GetReferencedAssemblies())
        {
            var name = reference.Name;
            if (name is null || HostAssemblies.Value.Contains(name) || File.Exists(Path.Combine(folder, name + ".dll"))) continue;
            loadedByHost ??= LoadedByHost();
            if (!loadedByHost.Contains(name)) return false;
        }
        return true;
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

    private static HashSet<string> LoadedByHost() =>
        AssemblyLoadContext.Default.Assemblies.Select(a => a.GetName().Name).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);

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
