using Profiler.Storage;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// <c>Scripts/SummaryRows.lua</c> and <see cref="RedisSearch.ReadRows"/>: a listing page's summaries read by one script
/// call, its MessagePack reply read back into the rows one <c>HMGET</c> per trace gave, on a real redis-server.
/// </summary>
public sealed class RedisSummaryRowsTests(RedisServer server) : IClassFixture<RedisServer>, IAsyncLifetime
{
    public Task InitializeAsync() => server.FlushAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private static TraceSummary Listed(string baseId) =>
        new(baseId, "2026-03-04T05:06:07.000008", new Dictionary<string, string?> { ["base_id"] = baseId });

    private async Task<(TraceSummary?[] Rows, List<string> Missing)> ReadAsync(TraceSummary[] page)
    {
        var db = server.Db();
        var keys = page.Select(t => (RedisKey)RedisSchema.SummaryKey(t.BaseId)).ToArray();
        var reply = await RedisScripts.Eval(db, RedisScripts.SummaryRows, keys, []);
        var rows = new TraceSummary?[page.Length];
        var missing = new List<string>();
        ReadOnlyMemory<byte> bytes = (RedisValue)reply;
        RedisSearch.ReadRows(bytes.Span, page, 0, rows, missing, new RedisSearch.RowTexts());
        return (rows, missing);
    }

    [Fact]
    public async Task A_summary_is_read_into_the_row_an_HMGET_gave_with_the_page_s_own_timestamp_and_fields()
    {
        await server.Db().HashSetAsync(RedisSchema.SummaryKey("t-1"),
        [
            new("start_ts", "2026-03-04T05:06:07.000001"), new("start_us", "1772600767000001"), new("stop_us", "1772600767250501"),
            new("root", "wsgi"), new("ops", "12"), new("error", "1"), new("services", "api\nworker"),
        ]);
        var page = new[] { Listed("t-1") };

        var (rows, missing) = await ReadAsync(page);

        Assert.Empty(missing);
        var row = Assert.IsType<TraceSummary>(rows[0]);
        Assert.Equal("t-1", row.BaseId);
        Assert.Equal(page[0].Timestamp, row.Timestamp);
        Assert.Same(page[0].Fields, row.Fields);
        Assert.Equal(250.5, row.DurationMs);
        Assert.Equal("wsgi", row.Root);
        Assert.Equal(12, row.Operations);
        Assert.True(row.Error);
        Assert.Equal(["api", "worker"], row.Services);
    }

    [Fact]
    public async Task A_trace_without_a_summary_is_missing_and_a_summary_lacking_fields_reads_them_as_unknown_or_zero()
    {
        // t-2 has no summary hash; t-3 a summary holding only its start and stop (another version's, or half-written).
        await server.Db().HashSetAsync(RedisSchema.SummaryKey("t-3"), [new("start_us", "1772600767000001"), new("stop_us", "1772600767000251")]);
        var page = new[] { Listed("t-2"), Listed("t-3") };

        var (rows, missing) = await ReadAsync(page);

        Assert.Equal(["t-2"], missing);
        Assert.Null(rows[0]);
        var row = Assert.IsType<TraceSummary>(rows[1]);
        Assert.Null(row.Root);
        Assert.Empty(row.Services);
        Assert.Equal(0, row.Operations);
        Assert.False(row.Error);
        Assert.Equal(0.25, row.DurationMs);
    }

    [Theory]
    [InlineData(31)]      // MessagePack fixstr
    [InlineData(200)]     // str8
    [InlineData(40_000)]  // str16
    [InlineData(70_000)]  // str32
    public async Task Roots_of_every_length_and_pages_of_many_traces_are_read_whole(int rootLength)
    {
        // Longer than 15 traces: the reply's outer array has a 16-bit length; two neighbours repeat a root, one differs.
        var page = Enumerable.Range(0, 40).Select(i => Listed($"t-{i}")).ToArray();
        // rootLength bytes of UTF-8, a two-byte character last.
        var root = new string('r', rootLength - 2) + "é";
        var batch = server.Db().CreateBatch();
        var writes = page.Select((t, i) => batch.HashSetAsync(RedisSchema.SummaryKey(t.BaseId),
        [
            new("start_us", "100"), new("stop_us", (100 + i * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("root", i == 7 ? "other" : root), new("ops", "1"), new("error", "0"), new("services", "api"),
        ])).ToArray();
        batch.Execute();
        await Task.WhenAll(writes);

        var (rows, missing) = await ReadAsync(page);

        Assert.Empty(missing);
        for (var i = 0; i < page.Length; i++)
        {
            var row = Assert.IsType<TraceSummary>(rows[i]);
            Assert.Equal(page[i].BaseId, row.BaseId);
            Assert.Equal(i == 7 ? "other" : root, row.Root);
            Assert.Equal(i, row.DurationMs);
            Assert.Equal(["api"], row.Services);
        }
    }

    [Fact]
    public void A_reply_that_is_not_the_script_s_MessagePack_is_a_FormatException_naming_the_byte()
    {
        var page = new[] { Listed("t-1") };

        // An array of one row whose first field is a MessagePack integer (0x01), which the script never writes.
        var e = Assert.Throws<FormatException>(() =>
            RedisSearch.ReadRows([0x91, 0x96, 0x01], page, 0, new TraceSummary?[1], [], new RedisSearch.RowTexts()));

        Assert.Contains("SummaryRows.lua", e.Message);
        Assert.Contains("byte 2 of 3", e.Message);
    }
}
