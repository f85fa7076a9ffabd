using Microsoft.Extensions.Logging;
using Profiler.Instrumentation.Stores;
using Profiler.Storage;

namespace Profiler.Hosting.Plugins;

/// <summary>
/// Opens a store for a connection string with the driver that serves its scheme: drivers the application registered
/// (<c>AddTraceStoreDriver</c>) first, then the plugins of <see cref="Catalog"/>. A thin use of
/// <see cref="TraceStoreOpener"/>, which holds the opening logic.
/// </summary>
public sealed class TraceStoreFactory
{
    private readonly TraceStoreOpener _opener;

    /// <summary>Opens stores with <paramref name="catalog"/>'s plugins and <paramref name="drivers"/> (default none; they come first).</summary>
    public TraceStoreFactory(PluginCatalog catalog, ILoggerFactory loggerFactory, IEnumerable<ITraceStoreDriver>? drivers = null)
        : this(catalog, new TraceStoreOpener(drivers, [new PluginDriverSource(catalog)], loggerFactory))
    {
    }

    /// <summary>Opens stores with <paramref name="opener"/>, which must already know <paramref name="catalog"/>'s plugins.</summary>
    public TraceStoreFactory(PluginCatalog catalog, TraceStoreOpener opener)
    {
        Catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        Opener = opener ?? throw new ArgumentNullException(nameof(opener));
        _opener = opener;
    }

    /// <summary>The plugins found.</summary>
    public PluginCatalog Catalog { get; }

    /// <summary>What resolves schemes and opens stores.</summary>
    public TraceStoreOpener Opener { get; }

    /// <summary>
    /// Parses <paramref name="connectionString"/> and opens a store (<see cref="TraceStoreOpener.Open"/>): throws
    /// <see cref="FormatException"/> for a malformed string, <see cref="UnknownSchemeException"/> naming the scheme, the
    /// known schemes, how to add a driver and the plugin folders searched, and <see cref="TraceStoreException"/> for a
    /// driver that fails otherwise than its contract allows, naming it and its plugin. Messages never hold the password.
    /// </summary>
    public ITraceStore Open(string connectionString, DriverSettings? settings = null) => _opener.Open(connectionString, settings);
}

/// <summary>The drivers of a <see cref="PluginCatalog"/>, offered to <see cref="TraceStoreOpener"/>.</summary>
public sealed class PluginDriverSource(PluginCatalog catalog) : ITraceStoreDriverSource
{
    /// <inheritdoc />
    public IReadOnlyCollection<string> Schemes => catalog.Schemes;

    /// <inheritdoc />
    public TraceStoreDriverEntry? Find(string scheme) =>
        catalog.Find(scheme) is { } loaded ? new TraceStoreDriverEntry(loaded.Driver, $"of plugin '{loaded.Plugin}' ({loaded.AssemblyPath})") : null;

    /// <summary>The plugin folders searched and the plugins' problems.</summary>
    public string? Describe()
    {
        var warnings = catalog.Warnings.Count > 0 ? " Plugin problems: " + string.Join(" ", catalog.Warnings) : "";
        return $"Plugin folders searched: {string.Join(", ", catalog.Folders)}.{warnings}";
    }
}
