using Profiler.Storage;

namespace Profiler.Instrumentation.Stores;

/// <summary>A driver that can serve a scheme, and where it comes from (shown in errors).</summary>
/// <param name="Driver">The driver.</param>
/// <param name="Origin">
/// Where the driver comes from, as a phrase that follows the driver's name in a sentence, e.g.
/// <c>of plugin 'Redis' (/opt/profiler/plugins/Redis/Redis.dll)</c> or <c>registered with AddTraceStoreDriver</c>.
/// </param>
public sealed record TraceStoreDriverEntry(ITraceStoreDriver Driver, string Origin);

/// <summary>
/// Offers storage drivers to <see cref="TraceStoreOpener"/> besides those registered as <see cref="ITraceStoreDriver"/>
/// services (<c>services.AddTraceStoreDriver&lt;TDriver&gt;()</c>). Profiler.Hosting's plugin catalog is one: register an
/// implementation as a singleton <see cref="ITraceStoreDriverSource"/> service and its drivers take part in resolving a
/// connection string's scheme, after the registered drivers.
/// </summary>
public interface ITraceStoreDriverSource
{
    /// <summary>Every scheme this source serves.</summary>
    IReadOnlyCollection<string> Schemes { get; }

    /// <summary>The driver serving <paramref name="scheme"/> (case-insensitive), or null.</summary>
    TraceStoreDriverEntry? Find(string scheme);

    /// <summary>
    /// What a user should know when no driver serves a scheme, one or more sentences (e.g. the plugin folders searched
    /// and plugins that failed to load), or null for nothing.
    /// </summary>
    string? Describe();
}

/// <summary>The drivers registered as <see cref="ITraceStoreDriver"/> services; the first registered for a scheme serves it.</summary>
internal sealed class RegisteredDriverSource : ITraceStoreDriverSource
{
    public const string RegisteredOrigin = "registered with AddTraceStoreDriver";

    private readonly Dictionary<string, TraceStoreDriverEntry> _byScheme = new(StringComparer.OrdinalIgnoreCase);

    public RegisteredDriverSource(IEnumerable<ITraceStoreDriver> drivers)
    {
        foreach (var driver in drivers)
            foreach (var scheme in driver.Schemes ?? [])
                if (!string.IsNullOrWhiteSpace(scheme))
                    _byScheme.TryAdd(scheme, new TraceStoreDriverEntry(driver, RegisteredOrigin));
    }

    public IReadOnlyCollection<string> Schemes => _byScheme.Keys;

    public TraceStoreDriverEntry? Find(string scheme) => _byScheme.GetValueOrDefault(scheme);

    public string? Describe() => null;
}
