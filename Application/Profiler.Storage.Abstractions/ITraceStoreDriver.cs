using Profiler.Domain;

namespace Profiler.Storage;

/// <summary>
/// A storage driver: it names the connection-string schemes it serves and opens a <see cref="ITraceStore"/> for one.
/// </summary>
/// <remarks>
/// <para>A driver reaches a host in one of two ways. As a plugin: the host finds every public, non-abstract class
/// implementing this interface with a public parameterless constructor in <c>plugins/&lt;Name&gt;/&lt;Name&gt;.dll</c>
/// (the plugin's project sets <c>EnableDynamicLoading</c> and references <c>Profiler.Storage.Abstractions</c> with
/// <c>ExcludeAssets=runtime</c>, and <c>Private=false</c> for a project reference), loads it into a load context of its
/// own, and shares only this contract, the domain types and Microsoft.Extensions.Logging's abstractions with it. Or
/// referenced directly by an application, which registers it (<c>services.AddTraceStoreDriver&lt;T&gt;()</c>).</para>
/// <para>Either way the connection string's scheme picks the driver: the one whose <see cref="Schemes"/> holds it.</para>
/// </remarks>
public interface ITraceStoreDriver
{
    /// <summary>Short name shown by <c>profiler drivers</c> and in errors, e.g. <c>sqlite</c>. Not empty.</summary>
    string Name { get; }

    /// <summary>The lower-case URL schemes served, e.g. <c>redis</c> and <c>rediss</c>. At least one; none empty.</summary>
    IReadOnlyList<string> Schemes { get; }

    /// <summary>
    /// Opens a store. Must not block on the network: connect in the background, or lazily within
    /// <see cref="DriverSettings.SocketTimeout"/> of the first operation.
    /// </summary>
    /// <param name="connectionString">The parsed connection string; its scheme is one of <see cref="Schemes"/>. Its
    /// query options override <paramref name="settings"/> where the driver documents so.</param>
    /// <param name="settings">Settings from the host's configuration (OSProfiler's <c>[profiler]</c> keys).</param>
    /// <returns>The store; never null.</returns>
    /// <exception cref="FormatException">An option or value the driver cannot accept; the message names it and what
    /// would be accepted, with the password redacted.</exception>
    /// <exception cref="TraceStoreException">A store the driver cannot use (e.g. a file that cannot be created); the
    /// message names the store, with the password redacted.</exception>
    ITraceStore Open(ConnectionString connectionString, DriverSettings settings);
}
