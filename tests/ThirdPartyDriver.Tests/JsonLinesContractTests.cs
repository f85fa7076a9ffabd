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

    [Fact]
    public async Task A_trace_file_gone_between_listing_the_folder_and_reading_it_is_left_out_instead_of_failing_the_read()
    {
        // Pruning deletes files while the shell lists: a file enumerated a moment ago can be gone when it is opened.
        // A dangling link is that moment held still: the folder lists it, opening it finds no file.
        var dir = Directory.CreateTempSubdirectory("profiler-jsonl-").FullName;
        try
        {
            await using var store = new JsonLinesDriver().Open(ConnectionString.Parse($"jsonl:///{dir}/store"), new DriverSettings());
            await store.WriteAsync([new TracePoint { Name = "wsgi-start", BaseId = "kept", TraceId = "kept", ParentId = "kept",
                Timestamp = "2026-11-30T01:00:00.000000", Project = "p", Service = "s" }], CancellationToken.None);
            File.CreateSymbolicLink(Path.Combine(dir, "store", "gone.jsonl"), Path.Combine(dir, "nowhere.jsonl"));

            var page = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);
            var statistics = await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None);
            var points = new List<StoredPoint>();
            await foreach (var point in store.ReadTraceAsync("gone", CancellationToken.None)) points.Add(point);

            Assert.Equal(["kept"], page.Traces.Select(t => t.BaseId));
            Assert.Equal(1, statistics.Traces);
            Assert.Empty(points);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
