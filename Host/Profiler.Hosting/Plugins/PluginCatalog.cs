using System.Reflection;
using System.Runtime.Loader;
using McMaster.NETCore.Plugins.Loader;
using Microsoft.Extensions.Logging;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Hosting.Plugins;

/// <summary>A driver found in a plugin.</summary>
/// <param name="Driver">The driver instance.</param>
/// <param name="Plugin">The plugin's folder name (<c>plugins/&lt;Plugin&gt;/&lt;Plugin&gt;.dll</c>).</param>
/// <param name="Version">The plugin assembly's informational version.</param>
/// <param name="AssemblyPath">Where the plugin was loaded from.</param>
public sealed record LoadedDriver(ITraceStoreDriver Driver, string Plugin, string Version, string AssemblyPath);

/// <summary>
/// Finds storage drivers in plugin folders: every <c>&lt;folder&gt;/&lt;Name&gt;/&lt;Name&gt;.dll</c> is loaded with
/// McMaster.NETCore.Plugins into its own load context, sharing only the driver contract, the domain types and
/// Microsoft.Extensions.Logging's abstractions with the host.
/// </summary>
/// <remarks>
/// <para>Search order (<see cref="DefaultFolders"/>): the folders given (<c>--plugins</c>, in the order given), then the
/// folders of <c>$PROFILER_PLUGINS_PATH</c> (in order), then <c>plugins/</c> beside the executable. A folder listed twice,
/// however spelled (relative or absolute, with or without a trailing separator), is searched once, at its first place.
/// Within a folder, plugins load in ordinal order of their folder names.</para>
/// <para>When two drivers claim one scheme, the first found serves it and the conflict is a warning naming both plugins
/// and their folders. A plugin that fails to load — a corrupt assembly, a dependency missing from its folder (named),
/// a driver that throws — is reported in <see cref="Warnings"/> and skipped; the others keep working.</para>
/// </remarks>
public sealed partial class PluginCatalog
{
    /// <summary>Environment variable holding extra plugin folders, separated by the platform's path separator.</summary>
    public const string PathVariable = "PROFILER_PLUGINS_PATH";

    private static readonly Type[] SharedTypes = [typeof(ITraceStoreDriver), typeof(TracePoint), typeof(ILoggerFactory)];

    // A plugin assembly is loaded once per process: load contexts are not unloadable, and a second copy of a
    // plugin's types would also defeat caches keyed by type (EF Core builds one internal service provider per
    // distinct set of replaced services, and refuses to build more than twenty).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Assembly>> Loaded =
        new(StringComparer.Ordinal);

    private readonly Dictionary<string, LoadedDriver> _byScheme = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<LoadedDriver> _drivers = [];
    private readonly List<string> _warnings = [];

    private PluginCatalog(IReadOnlyList<string> folders) => Folders = folders;

    /// <summary>The folders searched, in order.</summary>
    public IReadOnlyList<string> Folders { get; }

    /// <summary>Every driver loaded, in load order.</summary>
    public IReadOnlyList<LoadedDriver> Drivers => _drivers;

    /// <summary>Plugins that failed to load and scheme conflicts, one sentence each.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Every scheme served, sorted.</summary>
    public IReadOnlyList<string> Schemes => _byScheme.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The search order: <paramref name="extraFolders"/> (e.g. <c>--plugins</c>), then the folders in
    /// <see cref="PathVariable"/>, then <c>plugins/</c> beside the executable; full paths, each folder once
    /// (<see cref="Normalize"/>). Folders that do not exist stay in the list (and are skipped when loading).
    /// </summary>
    public static IReadOnlyList<string> DefaultFolders(IEnumerable<string>? extraFolders = null)
    {
        var folders = new List<string>();
        folders.AddRange(extraFolders ?? []);
        var env = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(env))
            folders.AddRange(env.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        folders.Add(Path.Combine(AppContext.BaseDirectory, "plugins"));
        return Normalize(folders);
    }

    /// <summary>
    /// <paramref name="folders"/> as full paths without a trailing separator, each once at its first place: the same folder
    /// spelled twice (relative and absolute, <c>plugins/</c> and <c>plugins</c>, <c>a/../plugins</c>) is searched once.
    /// Paths compare ordinally (case-insensitively on Windows and macOS, whose file systems usually are).
    /// </summary>
    public static IReadOnlyList<string> Normalize(IEnumerable<string> folders)
    {
        var comparer = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        // Loops, not LINQ: every short command runs this, and LINQ's iterators are more code to load at start-up.
        var seen = new HashSet<string>(comparer);
        var result = new List<string>();
        foreach (var folder in folders)
        {
            if (string.IsNullOrWhiteSpace(folder)) continue;
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
            if (seen.Add(full)) result.Add(full);
        }
        return result;
    }

    /// <summary>The extension of a plugin's scheme index, <c>&lt;Name&gt;/&lt;Name&gt;.schemes</c> (<see cref="LoadFor"/>).</summary>
    public const string SchemeIndexExtension = ".schemes";

    /// <summary>
    /// Loads every plugin in <paramref name="folders"/> (normalised: a folder given twice is searched once); never
    /// throws for a bad plugin. Folders that do not exist are skipped (a caller that requires them checks first).
    /// </summary>
    public static PluginCatalog Load(IReadOnlyList<string> folders, ILogger? logger = null) => LoadCore(folders, null, logger)!;

    /// <summary>
    /// The plugins of <paramref name="folders"/> that may serve <paramref name="scheme"/>, for a command that opens one
    /// store: a plugin whose scheme index (<c>&lt;Name&gt;/&lt;Name&gt;.schemes</c>, one scheme a line, <c>#</c> comments)
    /// does not list the scheme is not loaded; one without an index (a third party's) always is. The search order,
    /// conflicts and warnings among those loaded are <see cref="Load"/>'s. When none of them serves the scheme, every
    /// plugin is loaded (<see cref="Load"/>): an index out of step with its drivers never hides a driver, and the
    /// unknown-scheme error lists every scheme. A loaded plugin whose drivers serve other schemes than its index lists
    /// is reported in <see cref="Warnings"/>. Null <paramref name="scheme"/>: <see cref="Load"/>.
    /// </summary>
    /// <remarks>Loading a plugin (its load context, assembly and types) is the larger part of a short command's
    /// start-up after the runtime's own; the CLI's store commands need one plugin.</remarks>
    public static PluginCatalog LoadFor(IReadOnlyList<string> folders, string? scheme, ILogger? logger = null) =>
        LoadCore(folders, scheme, logger) ?? LoadCore(folders, null, logger)!;

    /// <summary>The catalog; with a <paramref name="scheme"/>, null when the plugins its indexes chose do not serve it.</summary>
    private static PluginCatalog? LoadCore(IReadOnlyList<string> folders, string? scheme, ILogger? logger)
    {
        var catalog = new PluginCatalog(Normalize(folders));
        var skipped = false;
        foreach (var folder in catalog.Folders.Where(Directory.Exists))
            foreach (var dir in SortedOrdinally(Directory.GetDirectories(folder)))
            {
                var name = Path.GetFileName(dir);
                var dll = Path.Combine(dir, name + ".dll");
                if (!File.Exists(dll)) continue;
                if (scheme is not null && SchemeIndex(dll) is { } listed && !listed.Contains(scheme, StringComparer.OrdinalIgnoreCase))
                {
                    skipped = true;
                    continue;
                }
                catalog.LoadPlugin(name, dll, checkIndex: scheme is null);
            }
        if (skipped && catalog.Find(scheme!) is null) return null;
        if (logger is not null)
        {
            foreach (var warning in catalog._warnings) Log.PluginProblem(logger, warning);
            if (logger.IsEnabled(LogLevel.Debug))
                foreach (var d in catalog._drivers)
                    Log.DriverLoaded(logger, d.Driver.Name, string.Join(", ", d.Driver.Schemes), d.Plugin, d.Version, d.AssemblyPath);
        }
        return catalog;
    }

    /// <summary>
    /// <paramref name="names"/> in ordinal order, sorted in place by a plain comparison: LINQ's <c>Order</c> and the
    /// runtime's vectorised ordinal comparison are compiled at run time (not precompiled), ~1 ms of a short command.
    /// </summary>
    private static string[] SortedOrdinally(string[] names)
    {
        Array.Sort(names, static (a, b) =>
        {
            var n = Math.Min(a.Length, b.Length);
            for (var i = 0; i < n; i++)
                if (a[i] != b[i]) return a[i] - b[i];
            return a.Length - b.Length;
        });
        return names;
    }

    /// <summary>The driver serving <paramref name="scheme"/>, or null.</summary>
    public LoadedDriver? Find(string scheme) => _byScheme.GetValueOrDefault(scheme);

    /// <param name="name">The plugin's folder name.</param>
    /// <param name="dll">Its assembly.</param>
    /// <param name="checkIndex">Whether to warn when its drivers serve other schemes than its scheme index lists
    /// (when every plugin is loaded, as <c>profiler drivers</c> does; a store command only reads the indexes).</param>
    private void LoadPlugin(string name, string dll, bool checkIndex)
    {
        Type[] types;
        Assembly assembly;
        // Cheap first: every file the plugin's .deps.json lists is in its folder (and, once loaded, its own references
        // resolve). Otherwise, or without a .deps.json, the assemblies' references say exactly what is missing.
        var walked = !PluginDependencies.ListedFilesPresent(dll);
        if (walked && SkippedForMissing(name, dll, PluginDependencies.FindMissing(dll))) return;
        try
        {
            // Lazy: the shared assemblies' references are resolved as the plugin asks for them, instead of loading the
            // whole closure of the contract's references (through netstandard.dll, most of the framework) up front.
            var key = Path.GetFullPath(dll) + "|" + File.GetLastWriteTimeUtc(dll).Ticks;
            assembly = Loaded.GetOrAdd(key, _ => new Lazy<Assembly>(() => CreateLoadContext(dll).LoadFromAssemblyPath(Path.GetFullPath(dll)))).Value;
            types = assembly.GetExportedTypes();
        }
        catch (Exception e)
        {
            _warnings.Add($"Plugin '{name}' ({dll}) could not be loaded and was skipped: {Reason(e)}");
            return;
        }
        // What a .deps.json does not list (a reference meant to come from the host): the plugin's own references are
        // looked at cheaply, and the exact walk decides when one is not plainly there.
        if (!walked && !PluginDependencies.ReferencesPresent(assembly, dll) && SkippedForMissing(name, dll, PluginDependencies.FindMissing(dll))) return;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                      ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var found = 0;
        foreach (var type in types.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ITraceStoreDriver).IsAssignableFrom(t)))
        {
            ITraceStoreDriver driver;
            try
            {
                driver = (ITraceStoreDriver)Activator.CreateInstance(type)!;
                // Both are shown and used later (drivers listing, scheme table): a driver that cannot give them is skipped now.
                if (string.IsNullOrWhiteSpace(driver.Name)) throw new InvalidOperationException("its Name is empty");
                if (driver.Schemes.Count == 0 || driver.Schemes.Any(string.IsNullOrWhiteSpace))
                    throw new InvalidOperationException("its Schemes are empty or hold an empty scheme");
            }
            catch (Exception e)
            {
                _warnings.Add($"Plugin '{name}': driver {type.FullName} failed to start and was skipped: {Reason(e)}");
                continue;
            }
            found++;
            var loaded = new LoadedDriver(driver, name, version, dll);
            _drivers.Add(loaded);
            foreach (var scheme in driver.Schemes)
            {
                if (_byScheme.TryGetValue(scheme, out var first))
                    _warnings.Add($"Plugin '{name}' ({driver.Name}, in {Path.GetDirectoryName(dll)}) also claims scheme '{scheme}', which plugin " +
                                  $"'{first.Plugin}' ({first.Driver.Name}, in {Path.GetDirectoryName(first.AssemblyPath)}) serves; '{first.Plugin}' keeps it " +
                                  "(the first found in the search order wins: --plugins, $PROFILER_PLUGINS_PATH, plugins/ beside the executable).");
                else _byScheme[scheme] = loaded;
            }
        }
        if (found == 0 && !_warnings.Any(w => w.StartsWith($"Plugin '{name}'", StringComparison.Ordinal)))
            _warnings.Add($"Plugin '{name}' ({dll}) holds no public class implementing {nameof(ITraceStoreDriver)} with a parameterless constructor.");
        if (checkIndex && SchemeIndex(dll) is { } listed)
        {
            var served = _drivers.Where(d => d.AssemblyPath == dll).SelectMany(d => d.Driver.Schemes).ToHashSet(StringComparer.OrdinalIgnoreCase);
            if (!served.SetEquals(listed))
                _warnings.Add($"Plugin '{name}' ({dll}): its scheme index {Path.ChangeExtension(dll, SchemeIndexExtension)} lists " +
                              $"{Listed(listed)} but its drivers serve {Listed(served)}; commands load a plugin only for the schemes " +
                              "its index lists: correct the index or delete it.");
        }
    }

    /// <summary>
    /// The plugin's own load context, built with McMaster.NETCore.Plugins' <see cref="AssemblyLoadContextBuilder"/>: its
    /// dependencies resolve from its folder (its <c>.deps.json</c>), the <see cref="SharedTypes"/>' assemblies and their
    /// references from the host, and the host's copy of any other assembly is preferred (shared types); references
    /// load as the plugin asks for them.
    /// </summary>
    /// <remarks>
    /// The builder, not <c>PluginLoader.CreateFromAssemblyFile</c>: the loader also reads every <c>*.runtimeconfig.json</c>
    /// of the plugin and of the host with System.Text.Json's reflection serializer and asks the process for its main
    /// module, to add the <c>additionalProbingPaths</c> of a development build and the runtime package store; a published
    /// plugin uses neither, and those reads were half the start-up of a short command (about 50 ms of
    /// <c>profiler trace list</c>).
    /// </remarks>
    private static AssemblyLoadContext CreateLoadContext(string dll)
    {
        var builder = new AssemblyLoadContextBuilder()
            .SetMainAssemblyPath(Path.GetFullPath(dll))
            .PreferDefaultLoadContext(true)
            .IsLazyLoaded(true);
        foreach (var shared in SharedTypes.Select(t => t.Assembly).Distinct())
            builder.PreferDefaultLoadContextAssembly(shared.GetName());
        // The plugin's own assemblies, those the host has none of, are not asked of the host first: preferring the
        // default context, McMaster asks it for every assembly the plugin loads, and each one the host lacks failed
        // there with a FileNotFoundException that McMaster swallowed (five in `trace list` on SQLite; the first
        // exception's message is the process's first resource lookup, milliseconds). One the host has still comes from the host.
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(Path.GetFullPath(dll))!, "*.dll"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (!PluginDependencies.IsHostAssembly(name)) builder.PreferLoadContextAssembly(new AssemblyName { Name = name });
        }
        return builder.Build();
    }

    /// <summary>
    /// The schemes the plugin's index (<c>&lt;Name&gt;.schemes</c> beside <paramref name="dll"/>) lists: one a line,
    /// blank lines and <c>#</c> comments left out; null when there is no index (or it cannot be read).
    /// </summary>
    private static List<string>? SchemeIndex(string dll)
    {
        var index = Path.ChangeExtension(dll, SchemeIndexExtension);
        string text;
        try
        {
            // Bytes, decoded here: a StreamReader's set-up (ReadAllText) cost more than the file's reading.
            if (!File.Exists(index)) return null;
            text = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(index));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var schemes = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            var scheme = line.Trim().TrimStart('\uFEFF');
            if (scheme.Length > 0 && scheme[0] != '#') schemes.Add(scheme);
        }
        return schemes;
    }

    private static string Listed(IEnumerable<string> schemes) =>
        schemes.Any() ? string.Join(", ", schemes.Order(StringComparer.Ordinal)) : "none";

    private bool SkippedForMissing(string name, string dll, IReadOnlyList<MissingDependency> missing)
    {
        if (missing.Count == 0) return false;
        _warnings.Add($"Plugin '{name}' ({dll}) could not be loaded and was skipped: {PluginDependencies.Describe(missing, Path.GetDirectoryName(dll)!)}");
        return true;
    }

    private static string Reason(Exception e)
    {
        while (e is TargetInvocationException { InnerException: { } inner }) e = inner;
        if (e is ReflectionTypeLoadException r && r.LoaderExceptions.FirstOrDefault(x => x is not null) is { } first)
            return $"{e.GetType().Name}: {first.Message}";
        return $"{e.GetType().Name}: {e.Message}";
    }

    /// <summary>
    /// The plugins (name and folder) loaded in this process whose dependency list (<c>.deps.json</c>) names the assembly
    /// <paramref name="assemblyName"/> (simple or full name): who needed an assembly that failed to load at run time.
    /// </summary>
    public static IReadOnlyList<(string Plugin, string Folder)> PluginsDependingOn(string assemblyName)
    {
        var simple = new AssemblyName(assemblyName).Name;
        if (string.IsNullOrEmpty(simple)) return [];
        var found = new List<(string, string)>();
        foreach (var key in Loaded.Keys)
        {
            var dll = key[..key.LastIndexOf('|')];
            var folder = Path.GetDirectoryName(dll)!;
            var deps = Path.ChangeExtension(dll, ".deps.json");
            try
            {
                if (File.Exists(deps) && File.ReadAllText(deps) is var text
                    && (text.Contains("/" + simple + ".dll\"", StringComparison.OrdinalIgnoreCase)
                        || text.Contains("\"" + simple + ".dll\"", StringComparison.OrdinalIgnoreCase)))
                    found.Add((Path.GetFileNameWithoutExtension(dll), folder));
            }
            catch (IOException)
            {
                // A plugin folder changed under us: it cannot be named; the caller still names the assembly.
            }
        }
        return found;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Problem}")]
        public static partial void PluginProblem(ILogger logger, string problem);

        [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Driver {Driver} ({Schemes}) {Version} loaded from plugin {Plugin} ({Path})")]
        public static partial void DriverLoaded(ILogger logger, string driver, string schemes, string plugin, string version, string path);
    }
}
