using Microsoft.Extensions.Logging;
using Profiler.Storage;
using Profiler.Domain;

namespace Profiler.Hosting.Plugins;

/// <summary>No loaded driver serves a connection string's scheme.</summary>
public sealed class UnknownSchemeException(string message) : TraceStoreException(message);

/// <summary>Opens a store for a connection string with the driver that serves its scheme.</summary>
public sealed class TraceStoreFactory(PluginCatalog catalog, ILoggerFactory loggerFactory)
{
    public PluginCatalog Catalog => catalog;

    /// <summary>
    /// Parses <paramref name="connectionString"/> and opens a store. Throws <see cref="FormatException"/> for a
    /// malformed string and <see cref="UnknownSchemeException"/> listing the known schemes and the folders searched.
    /// A driver that fails otherwise than its contract allows (another exception, or no store) is a
    /// <see cref="TraceStoreException"/> naming the driver and its plugin. Messages never hold the password.
    /// </summary>
    public ITraceStore Open(string connectionString, DriverSettings? settings = null)
    {
        var parsed = ConnectionString.Parse(connectionString);
        var loaded = catalog.Find(parsed.Scheme);
        if (loaded is null)
        {
            var known = catalog.Schemes.Count > 0 ? string.Join(", ", catalog.Schemes) : "none (no plugin loaded)";
            var warnings = catalog.Warnings.Count > 0 ? " Plugin problems: " + string.Join(" ", catalog.Warnings) : "";
            throw new UnknownSchemeException(
                $"No driver serves scheme '{parsed.Scheme}' (connection string '{parsed}'). Known schemes: {known}. " +
                $"Plugin folders searched: {string.Join(", ", catalog.Folders)}.{warnings}");
        }
        settings ??= new DriverSettings();
        if (ReferenceEquals(settings.LoggerFactory, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance))
            settings = new DriverSettings
            {
                SocketTimeout = settings.SocketTimeout, SentinelServiceName = settings.SentinelServiceName,
                FilterErrorTrace = settings.FilterErrorTrace, Project = settings.Project, Service = settings.Service,
                Host = settings.Host, LoggerFactory = loggerFactory,
            };
        ITraceStore? store;
        try
        {
            store = loaded.Driver.Open(parsed, settings);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (FormatException e)
        {
            throw parsed.ScrubPassword(e.Message) is var m && m != e.Message ? new FormatException(m, e) : e;
        }
        catch (TraceStoreException e)
        {
            throw parsed.ScrubPassword(e.Message) is var m && m != e.Message ? new TraceStoreException(m, e) : e;
        }
        catch (Exception e)
        {
            // The contract allows only the two above; anything else is the plugin's failure, and is said to be.
            throw new TraceStoreException(
                $"Driver '{loaded.Driver.Name}' of plugin '{loaded.Plugin}' ({loaded.AssemblyPath}) failed to open '{parsed}': " +
                $"{e.GetType().Name}: {parsed.ScrubPassword(e.Message)}", e);
        }
        return store ?? throw new TraceStoreException(
            $"Driver '{loaded.Driver.Name}' of plugin '{loaded.Plugin}' ({loaded.AssemblyPath}) opened no store for '{parsed}' (its Open returned null).");
    }
}
