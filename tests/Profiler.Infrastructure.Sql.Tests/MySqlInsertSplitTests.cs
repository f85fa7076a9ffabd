using Profiler.Storage;
using static Profiler.Infrastructure.Sql.Tests.SqlServerTestKit;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>How the MySQL/MariaDB writer cuts a batch into prepared INSERTs (a few sizes, each prepared once a connection).</summary>
public sealed class MySqlInsertSplitTests
{
    private static List<(int Offset, int Count)> Split(IReadOnlyList<Profiler.Domain.TracePoint> points)
    {
        var rows = new MySqlTraceWriter.EncodedRows();
        rows.Encode(points, new DriverSettings());
        return MySqlTraceWriter.SplitInserts(rows.Count, rows.RowBytes);
    }

    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(3, new[] { 2, 1 })]
    [InlineData(1000, new[] { 512, 256, 128, 64, 32, 8 })]
    [InlineData(2500, new[] { 1024, 1024, 256, 128, 64, 4 })]
    public void A_batch_of_small_points_is_cut_into_power_of_two_inserts_largest_first_covering_it_in_order(int points, int[] counts)
    {
        var split = Split(Points("b", points));

        Assert.Equal(counts, split.Select(s => s.Count));
        var next = 0;
        foreach (var (offset, count) in split)
        {
            Assert.Equal(next, offset);
            next += count;
        }
        Assert.Equal(points, next);
    }

    [Fact]
    public void Large_points_make_smaller_inserts_that_stay_within_the_byte_bound_and_an_oversized_one_goes_alone()
    {
        // About 25 KB of row each (25,000 ASCII characters: as many UTF-8 bytes): 83 would fit in 2 MiB, so the 50 before the
        // huge one make 32 + 16 + 2.
        var points = Points("big", 100, infoBytes: 25_000).ToList();
        points.Insert(50, Points("huge", 1, infoBytes: 3_000_000)[0]);

        var split = Split(points);

        Assert.Equal(101, split.Sum(s => s.Count));
        Assert.All(split, s => Assert.True(s.Count == 1 || s.Count * 25_000L <= MySqlTraceWriter.MaxInsertBytes, $"{s.Count} rows at {s.Offset}"));
        Assert.Contains((50, 1), split);
        Assert.Equal([32, 16, 2, 1], split.Take(4).Select(s => s.Count));
    }
}
