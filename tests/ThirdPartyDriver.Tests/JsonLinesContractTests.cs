using Profiler.Domain;
using Profiler.Storage;

namespace ThirdPartyDriver.Tests;

/// <summary>The whole driver contract on the JSON Lines driver: a fresh folder per store, opened through the driver.</summary>
public sealed class JsonLinesContractTests : TraceStoreContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("profiler-jsonl-").FullName;

    /// <summary>The driver stores whole point documents, as OSProfiler's Redis collector does.</summary>
    protected override string FixtureBackend => "redis";

    /// <summary>The reference driver deletes, pins, prunes and counts.</summary>
    protected override bool SupportsLifecycle => true;

    // Filters, counts and summaries (issue 16, docs/search.md), by reading every file.
    protected override bool SupportsSearch => true;

    protected override Task<ITraceStore> CreateStoreAsync(DriverSettings settings) =>
        Task.FromResult(new JsonLinesDriver().Open(ConnectionString.Parse($"jsonl:///{_dir}/{Guid.NewGuid():N}"), settings));

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

public sealed class JsonLinesDriverTests
{
    [Fact]
    public void A_connection_string_without_a_folder_is_a_FormatException_naming_it_without_the_password()
    {
        var e = Assert.Throws<FormatException>(() =>
            new JsonLinesDriver().Open(ConnectionString.Parse("jsonl://:s3cret@host"), new DriverSettings()));

        Assert.Contains("jsonl://:***@host", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
    }
}
