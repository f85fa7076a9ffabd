using Profiler.Domain;
using Profiler.Storage;

namespace Acme.Store;

/// <summary>
/// The <c>acme-store</c> storage driver: <c>acme-store:///name</c> opens the collector called <c>name</c>.
/// This skeleton keeps every collector in memory, for the life of the process, and passes the whole driver contract
/// suite (tests/Acme.Store.Tests). Replace <see cref="AcmeStoreTraceStore"/> with a store over your backend and keep
/// the suite green; the contract is described in the XML docs of Profiler.Storage.Abstractions.
/// </summary>
public sealed class AcmeStoreDriver : ITraceStoreDriver
{
    /// <summary>The scheme of this driver's connection strings, <c>acme-store</c>.</summary>
    public const string Scheme = "acme-store";

    /// <inheritdoc />
    public string Name => Scheme;

    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = [Scheme];

    /// <summary>
    /// Opens the collector the connection string names. Never waits on the network: a real backend connects lazily on
    /// first use, bounded by <see cref="DriverSettings.SocketTimeout"/>.
    /// </summary>
    /// <exception cref="FormatException">The connection string names no collector.</exception>
    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(settings);
        // REPLACE: validate what your backend needs (hosts, database, options) and say what would be accepted.
        // ConnectionString.ToString() shows the value with its password hidden: never print Password.
        if (string.IsNullOrEmpty(connectionString.Path))
            throw new FormatException(
                $"Connection string '{connectionString}' names no collector: use {Scheme}:///name.");
        return new AcmeStoreTraceStore(AcmeStoreTraceStore.Collector.Named(connectionString.Path), settings);
    }
}
