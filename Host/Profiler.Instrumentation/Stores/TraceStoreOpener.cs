using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Instrumentation.Stores;

/// <summary>No driver serves a connection string's scheme.</summary>
public sealed class UnknownSchemeException(string message) : TraceStoreException(message);

/// <summary>
/// Opens a store for a connection string with the driver that serves its scheme: the one place that parses the
/// connection string, finds the driver, and turns a driver's failure into an error a user can read (password scrubbed).
/// Drivers registered as <see cref="ITraceStoreDriver"/> services are looked at first (in registration order), then the
/// <see cref="ITraceStoreDriverSource"/>s (e.g. Profiler.Hosting's plugins), in registration order.
/// </summary>
public sealed class TraceStoreOpener
{
    private readonly IReadOnlyList<ITraceStoreDriverSource> _sources;
    private readonly ILoggerFactory _loggerFactory;

    /// <summary>Resolves schemes among <paramref name="drivers"/>, then <paramref name="sources"/>.</summary>
    /// <param name="drivers">Drivers the application registered. Default none.</param>
    /// <param name="sources">Further sources of drivers, e.g. plugins. Default none.</param>
    /// <param name="loggerFactory">Given to a driver whose settings carry no logger factory. Default: nowhere.</param>
    public TraceStoreOpener(IEnumerable<ITraceStoreDriver>? drivers = null, IEnumerable<ITraceStoreDriverSource>? sources = null,
        ILoggerFactory? loggerFactory = null)
    {
        _sources = [new RegisteredDriverSource(drivers ?? []), .. sources ?? []];
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>Every scheme some driver serves, sorted.</summary>
    public IReadOnlyList<string> Schemes =>
        _sources.SelectMany(s => s.Schemes).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();

    /// <summary>The driver serving <paramref name="scheme"/>: the first source that has one wins. Null when none does.</summary>
    public TraceStoreDriverEntry? Find(string scheme)
    {
        foreach (var source in _sources)
            if (source.Find(scheme) is { } entry) return entry;
        return null;
    }

    /// <summary>
    /// Parses <paramref name="connectionString"/> and opens a store with the driver serving its scheme. Throws
    /// <see cref="FormatException"/> for a malformed string (or options the driver refuses), and
    /// <see cref="UnknownSchemeException"/> naming the scheme, the known schemes and how to add a driver. A driver that
    /// fails otherwise than its contract allows (another exception, or no store) is a <see cref="TraceStoreException"/>
    /// naming the driver and where it comes from. Messages never hold the password. Opening does not wait for the
    /// network: drivers connect in the background (<see cref="ITraceStoreDriver.Open"/>).
    /// </summary>
    /// <param name="connectionString">The store's URL, e.g. <c>redis://host:6379</c>.</param>
    /// <param name="settings">Driver settings. Default: the driver defaults, logging to this opener's logger factory.</param>
    public ITraceStore Open(string connectionString, DriverSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var parsed = ConnectionString.Parse(connectionString);
        var entry = Find(parsed.Scheme) ?? throw UnknownScheme(parsed);
        settings ??= new DriverSettings();
        if (ReferenceEquals(settings.LoggerFactory, NullLoggerFactory.Instance) && !ReferenceEquals(_loggerFactory, NullLoggerFactory.Instance))
            settings = settings with { LoggerFactory = _loggerFactory };
        ITraceStore? store;
        try
        {
            store = entry.Driver.Open(parsed, settings);
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
            // The contract allows only the two above; anything else is the driver's failure, and is said to be.
            throw new TraceStoreException(
                $"Driver '{entry.Driver.Name}' {entry.Origin} failed to open '{parsed}': {e.GetType().Name}: {parsed.ScrubPassword(e.Message)}", e);
        }
        return store ?? throw new TraceStoreException(
            $"Driver '{entry.Driver.Name}' {entry.Origin} opened no store for '{parsed}' (its Open returned null).");
    }

    private UnknownSchemeException UnknownScheme(ConnectionString parsed)
    {
        var schemes = Schemes;
        var known = schemes.Count > 0 ? string.Join(", ", schemes) : "none";
        var details = string.Join(" ", _sources.Select(s => s.Describe()).Where(d => !string.IsNullOrWhiteSpace(d)));
        return new UnknownSchemeException(
            $"No driver serves scheme '{parsed.Scheme}' (connection string '{parsed}'). Known schemes: {known}. " +
            $"To add one, reference the driver's assembly and register it with services.AddTraceStoreDriver<TDriver>() " +
            $"(e.g. AddTraceStoreDriver<RedisDriver>()), or install it as a plugin in plugins/<Name>/<Name>.dll." +
            (details.Length > 0 ? " " + details : ""));
    }
}
