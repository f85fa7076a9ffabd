using Profiler.Domain;
using Profiler.Storage;
using Profiler.Storage.Testing;

namespace Acme.Store.Tests;

/// <summary>
/// The whole driver contract suite on the acme-store driver: every test gets a store over a new, empty collector,
/// opened through the driver as the host opens it. REPLACE the connection string with one to a test instance of your
/// backend (a fresh database, key prefix or folder per store), started by an IClassFixture if need be.
/// </summary>
public sealed class AcmeStoreContractTests : TraceStoreContract
{
    /// <summary>"redis" if the store keeps whole point documents (this one does), "mysql" if it keeps rows of OSProfiler's data table.</summary>
    protected override string FixtureBackend => "redis";

    protected override Task<ITraceStore> CreateStoreAsync(DriverSettings settings) =>
        Task.FromResult(new AcmeStoreDriver().Open(ConnectionString.Parse($"{AcmeStoreDriver.Scheme}:///{Guid.NewGuid():N}"), settings));
}

/// <summary>The driver's own rules, beyond the contract.</summary>
public sealed class AcmeStoreDriverTests
{
    [Fact]
    public void The_driver_serves_its_scheme()
    {
        Assert.Equal(["acme-store"], new AcmeStoreDriver().Schemes);
    }

    [Fact]
    public void A_connection_string_without_a_collector_is_a_FormatException_naming_it_without_the_password()
    {
        var e = Assert.Throws<FormatException>(() =>
            new AcmeStoreDriver().Open(ConnectionString.Parse("acme-store://:s3cret@host"), new DriverSettings()));

        Assert.Contains("acme-store://:***@host", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stores_opened_on_the_same_collector_share_its_traces()
    {
        var collector = $"{AcmeStoreDriver.Scheme}:///{Guid.NewGuid():N}";
        var point = new TracePoint
        {
            Name = "wsgi-start", BaseId = Guid.NewGuid().ToString(), TraceId = Guid.NewGuid().ToString(),
            ParentId = Guid.NewGuid().ToString(), Timestamp = TraceTimestamp.FromDateTime(DateTime.UtcNow).ToString(),
        };
        await using (var writer = new AcmeStoreDriver().Open(ConnectionString.Parse(collector), new DriverSettings()))
            await writer.WriteAsync([point], CancellationToken.None);

        await using var reader = new AcmeStoreDriver().Open(ConnectionString.Parse(collector), new DriverSettings());
        var names = new List<string>();
        await foreach (var p in reader.ReadTraceAsync(point.BaseId, CancellationToken.None)) names.Add(p.Name);

        Assert.Equal(["wsgi-start"], names);
    }
}
