using System.Reflection;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Logging;
using Profiler.Storage;
using Profiler.Domain;

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
/// Microsoft.Extensions.Logging's abstractions with the host. A plugin that fails to load is reported in
/// <see cref="Warnings"/> and skipped; the others keep working. When two drivers claim one scheme, the first
/// found (in folder order) serves it and the conflict is a warning.
/// </summary>
public sealed class PluginCatalog
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
    /// The default folder list: <paramref name="extraFolders"/> (e.g. <c>--plugins</c>), then the folders in
    /// <see cref="PathVariable"/>, then <c>plugins/</c> beside the executable.
    /// </summary>
    public static IReadOnlyList<string> DefaultFolders(IEnumerable<string>? extraFolders = null)
    {
        var folders = new List<string>();
        folders.AddRange(extraFolders ?? []);
        var env = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(env))
            folders.AddRange(env.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        folders.Add(Path.Combine(AppContext.BaseDirectory, "plugins"));
        return folders.Select(Path.GetFullPath).Distinct().ToList();
    }

    /// <summary>Loads every plugin in <paramref name="folders"/>; never throws for a bad plugin.</summary>
    public static PluginCatalog Load(IReadOnlyList<string> folders, ILogger? logger = null)
    {
        var catalog = new PluginCatalog(folders);
        foreach (var folder in folders.Where(Directory.Exists))
            foreach (var dir in Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(dir);
                var dll = Path.Combine(dir, name + ".dll");
                if (File.Exists(dll)) catalog.LoadPlugin(name, dll);
            }
        foreach (var warning in catalog._warnings) logger?.LogWarning("{Warning}", warning);
        return catalog;
    }

    /// <summary>The driver serving <paramref name="scheme"/>, or null.</summary>
    public LoadedDriver? Find(string scheme) => _byScheme.GetValueOrDefault(scheme);

    private void LoadPlugin(string name, string dll)
    {
        Type[] types;
        Assembly assembly;
        try
        {
            // Lazy: the shared assemblies' references are resolved as the plugin asks for them, instead of loading the
            // whole closure of the contract's references (through netstandard.dll, most of the framework) up front.
            var key = Path.GetFullPath(dll) + "|" + File.GetLastWriteTimeUtc(dll).Ticks;
            assembly = Loaded.GetOrAdd(key, _ => new Lazy<Assembly>(() =>
                PluginLoader.CreateFromAssemblyFile(dll, SharedTypes, config =>
                {
                    config.PreferSharedTypes = true;
                    config.IsLazyLoaded = true;
                }).LoadDefaultAssembly())).Value;
            types = assembly.GetExportedTypes();
        }
        catch (Exception e)
        {
            _warnings.Add($"Plugin '{name}' ({dll}) could not be loaded and was skipped: {Reason(e)}");
            return;
        }
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
                    _warnings.Add($"Plugin '{name}' ({driver.Name}) also claims scheme '{scheme}', which plugin '{first.Plugin}' ({first.Driver.Name}) serves; '{first.Plugin}' keeps it.");
                else _byScheme[scheme] = loaded;
            }
        }
        if (found == 0 && !_warnings.Any(w => w.StartsWith($"Plugin '{name}'", StringComparison.Ordinal)))
            _warnings.Add($"Plugin '{name}' ({dll}) holds no public class implementing {nameof(ITraceStoreDriver)} with a parameterless constructor.");
    }

    private static string Reason(Exception e)
    {
        while (e is TargetInvocationException { InnerException: { } inner }) e = inner;
        if (e is ReflectionTypeLoadException r && r.LoaderExceptions.FirstOrDefault(x => x is not null) is { } first)
            return $"{e.GetType().Name}: {first.Message}";
        return $"{e.GetType().Name}: {e.Message}";
    }
}
