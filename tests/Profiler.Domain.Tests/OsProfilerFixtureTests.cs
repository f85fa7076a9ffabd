using System.Text.Json;
using System.Text.Json.Nodes;
using Profiler.Domain.Reports;
using Profiler.Testing;

namespace Profiler.Domain.Tests;

public sealed class OsProfilerFixtureTests
{
    public static TheoryData<string, string> AllFixtures()
    {
        var data = new TheoryData<string, string>();
        foreach (var (shape, backend) in Fixtures.All()) data.Add(shape, backend);
        return data;
    }

    /// <summary>Reads a fixture the way each OSProfiler backend stored it: whole documents (Redis) or rows (SQL).</summary>
    internal static IEnumerable<StoredPoint> StoredPoints(string shape, string backend)
    {
        foreach (var line in Fixtures.PointLines(shape, backend))
        {
            if (backend == "redis")
            {
                yield return StoredPoint.FromDocument(line);
                continue;
            }
            var row = JsonNode.Parse(line)!.AsObject();
            yield return StoredPoint.FromColumns((string?)row["name"], (string?)row["trace_id"], (string?)row["parent_id"],
                (string?)row["timestamp"], (string?)row["project"], (string?)row["service"], (string?)row["host"],
                JsonSerializer.Deserialize<string>(row["data"]!.ToJsonString()));
        }
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void Every_OSProfiler_fixture_rebuilds_OSProfilers_own_report(string shape, string backend)
    {
        var builder = new ReportBuilder();
        foreach (var point in StoredPoints(shape, backend)) builder.Add(point);

        var report = builder.Build();

        Assert.Equal(0, report.SkippedPoints);
        ReportAssert.Equivalent(FixtureTrace.Report(shape, backend), JsonNode.Parse(ReportJson.ToJson(report))!);
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void A_report_read_back_from_its_JSON_writes_the_same_JSON(string shape, string backend)
    {
        var builder = new ReportBuilder();
        foreach (var point in StoredPoints(shape, backend)) builder.Add(point);
        var json = ReportJson.ToJson(builder.Build());

        var reread = ReportJson.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(ReportJson.ToJson(reread))));
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void OSProfilers_own_report_file_reads_and_writes_back_unchanged(string shape, string backend)
    {
        using var file = Fixtures.Open($"{shape}.{backend}.report.json");
        var report = ReportJson.Read(file);

        Assert.True(JsonNode.DeepEquals(FixtureTrace.Report(shape, backend), JsonNode.Parse(ReportJson.ToJson(report))));
    }

    [Fact]
    public void Siblings_that_start_in_the_same_millisecond_keep_the_order_they_first_appeared_in()
    {
        var builder = new ReportBuilder();
        foreach (var point in StoredPoints("siblings_same_ms", "mysql")) builder.Add(point);
        var report = builder.Build();

        var expected = FixtureTrace.Report("siblings_same_ms", "mysql");
        var expectedOrder = expected["children"]![0]!["children"]!.AsArray().Select(n => (string)n!["trace_id"]!);
        Assert.Equal(expectedOrder, report.Children[0].Children.Select(n => n.TraceId));
    }
}

public sealed class FixtureFilesTests
{
    [Fact]
    public void Every_shape_is_embedded_for_both_backends_with_its_report()
    {
        var all = Fixtures.All().ToList();

        Assert.Equal(["deep", "siblings_same_ms", "simple", "unfinished"], all.Select(f => f.Shape).Distinct());
        Assert.All(all.GroupBy(f => f.Shape), g => Assert.Equal(["mysql", "redis"], g.Select(f => f.Backend)));
        Assert.All(all, f => Assert.NotEmpty(Fixtures.ReadText($"{f.Shape}.{f.Backend}.report.json")));
    }

    [Fact]
    public void A_fixture_given_as_a_file_holds_exactly_the_embedded_text()
    {
        var file = Fixtures.PointsFile("simple", "redis");

        Assert.Equal(Fixtures.ReadText("simple.redis.points.jsonl"), File.ReadAllText(file));
        Assert.Equal(Fixtures.ReadText("deep.mysql.report.json"), File.ReadAllText(Fixtures.ReportFile("deep", "mysql")));
        // Written out of the test kit's embedded resources into a temporary folder, not read from any checkout folder.
        Assert.StartsWith(Path.GetFullPath(Path.GetTempPath()), Path.GetFullPath(file), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_fixture_is_an_error_listing_the_embedded_ones()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Fixtures.Open("nope.redis.points.jsonl"));

        Assert.Contains("simple.redis.points.jsonl", e.Message);
    }
}
