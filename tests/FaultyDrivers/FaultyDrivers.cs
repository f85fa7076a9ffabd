using Profiler.Storage;
using Profiler.Domain;

namespace FaultyDrivers;

/// <summary>Throws from its constructor: the catalog skips it with a warning naming the plugin.</summary>
public sealed class CtorThrowsDriver : ITraceStoreDriver
{
    public CtorThrowsDriver() => throw new InvalidOperationException("the ctorthrows driver refuses to start");

    public string Name => "ctorthrows";
    public IReadOnlyList<string> Schemes => ["ctorthrows"];
    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) => throw new NotSupportedException();
}

/// <summary>Its <see cref="Name"/> throws.</summary>
public sealed class NameThrowsDriver : ITraceStoreDriver
{
    public string Name => throw new InvalidOperationException("the namethrows driver has no name");
    public IReadOnlyList<string> Schemes => ["namethrows"];
    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) => throw new NotSupportedException();
}

/// <summary>Its <see cref="Schemes"/> throws.</summary>
public sealed class SchemesThrowDriver : ITraceStoreDriver
{
    public string Name => "schemesthrow";
    public IReadOnlyList<string> Schemes => throw new InvalidOperationException("the schemesthrow driver lost its schemes");
    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) => throw new NotSupportedException();
}

/// <summary>
/// Loads fine; opening a store throws an exception the contract does not allow, whose message (carelessly) holds the
/// connection string's password.
/// </summary>
public sealed class OpenThrowsDriver : ITraceStoreDriver
{
    public string Name => "openthrows";
    public IReadOnlyList<string> Schemes => ["openthrows"];

    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) =>
        throw new InvalidOperationException($"openthrows cannot open a store (password {connectionString.Password})");
}

/// <summary>Opening a store returns null.</summary>
public sealed class OpenReturnsNullDriver : ITraceStoreDriver
{
    public string Name => "opennull";
    public IReadOnlyList<string> Schemes => ["opennull"];
    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) => null!;
}

/// <summary>Claims <c>dup</c>; a copy of the plugin under another name claims it too.</summary>
public sealed class DuplicateSchemeDriver : ITraceStoreDriver
{
    public string Name => "dup";
    public IReadOnlyList<string> Schemes => ["dup"];

    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) =>
        throw new TraceStoreException($"the dup store of {typeof(DuplicateSchemeDriver).Assembly.GetName().Name} is not a real store");
}

/// <summary>
/// Opens a store fine; the store then throws exceptions the contract does not allow (not a
/// <see cref="TraceStoreException"/>), whose message (carelessly) holds the connection string's password.
/// </summary>
public sealed class StoreThrowsDriver : ITraceStoreDriver
{
    public string Name => "storethrows";
    public IReadOnlyList<string> Schemes => ["storethrows"];

    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) => new Store(connectionString.Password);

    private sealed class Store(string? password) : ITraceStore
    {
        private InvalidOperationException Broken() => new($"the storethrows store broke (password {password})");

        public Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken) => throw Broken();

        public IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, CancellationToken cancellationToken) => throw Broken();

        public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) => throw Broken();


        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
