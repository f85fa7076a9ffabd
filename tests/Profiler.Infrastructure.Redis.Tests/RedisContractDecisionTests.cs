using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// The contract decisions as the Redis driver meets them: D1 (opaque cursors; any other is a FormatException), D3 (the
/// earliest point on a timestamp tie is the one stored first) and D5 (errors are listed from the error index).
/// </summary>
public sealed class RedisContractDecisionTests(RedisServer server) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly DateTime At = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    public Task InitializeAsync() => server.FlushAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private static TracePoint Point(string baseId, string traceId, string name, DateTime at, bool failed = false) => new()
    {
        Name = name, BaseId = baseId, TraceId = traceId, ParentId = baseId,
        Timestamp = TraceTimestamp.FromDateTime(at).ToString(),
        Info = failed ? new JsonObject { ["host"] = "node-1", ["etype"] = "ValueError" } : new JsonObject { ["host"] = "node-1" },
    };

    private static async Task WriteTracesAsync(ITraceStore store, int count)
    {
        for (var i = 0; i < count; i++)
            await store.WriteAsync([Point($"trace-{i:D2}", "op", "wsgi-start", At.AddSeconds(i), failed: true)], CancellationToken.None);
    }

    // D1 ------------------------------------------------------------------------------------------------------------

    public static TheoryData<string> ForeignCursors() => new()
    {
        "yesterday",
        "",
        // What this driver gave out before cursors were opaque, and what the SQL driver gives out.
        "|trace-01",
        "2026-03-04T05:06:07.000000|trace-01",
        // A position this driver could make, without its check value, or with a wrong one.
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes("638000000000000000|trace-01")),
        Base64Url.EncodeToString([.. Encoding.UTF8.GetBytes("638000000000000000|trace-01"), 1, 2, 3, 4, 5, 6, 7, 8]),
        "not base64url at all!",
    };

    [Theory]
    [MemberData(nameof(ForeignCursors))]
    public async Task A_cursor_the_driver_did_not_give_out_is_a_FormatException_naming_it(string cursor)
    {
        await using var store = server.Open(new DriverSettings { FilterErrorTrace = true });
        await WriteTracesAsync(store, 3);

        var e = await Assert.ThrowsAsync<FormatException>(() =>
            store.ListTracesAsync(new TraceListQuery(10, cursor), CancellationToken.None));
        var errors = await Assert.ThrowsAsync<FormatException>(() =>
            store.ListTracesAsync(new TraceListQuery(10, cursor, ErrorsOnly: true), CancellationToken.None));

        Assert.Contains($"cursor '{TracePointRules.Show(cursor)}'", e.Message);
        Assert.Equal(e.Message, errors.Message);
    }

    [Fact]
    public async Task A_cursor_the_driver_gave_out_but_edited_is_a_FormatException()
    {
        await using var store = server.Open();
        await WriteTracesAsync(store, 3);
        var cursor = (await store.ListTracesAsync(new TraceListQuery(1), CancellationToken.None)).NextCursor!;

        foreach (var at in new[] { 0, cursor.Length / 2, cursor.Length - 1 })
        {
            var edited = cursor[..at] + (cursor[at] == 'A' ? 'B' : 'A') + cursor[(at + 1)..];
            await Assert.ThrowsAsync<FormatException>(() =>
                store.ListTracesAsync(new TraceListQuery(1, edited), CancellationToken.None));
        }
        await Assert.ThrowsAsync<FormatException>(() =>
            store.ListTracesAsync(new TraceListQuery(1, cursor + "A"), CancellationToken.None));
        await Assert.ThrowsAsync<FormatException>(() =>
            store.ListTracesAsync(new TraceListQuery(1, cursor[..^1]), CancellationToken.None));
    }

    [Fact]
    public async Task A_long_foreign_cursor_is_named_shortened()
    {
        await using var store = server.Open();
        var cursor = new string('x', 200);

        var e = await Assert.ThrowsAsync<FormatException>(() =>
            store.ListTracesAsync(new TraceListQuery(10, cursor), CancellationToken.None));

        Assert.Contains(new string('x', 60) + "…", e.Message);
        Assert.DoesNotContain(cursor, e.Message);
    }

    [Fact]
    public async Task A_cursor_keeps_its_place_in_another_store_over_the_same_server()
    {
        await using (var writer = server.Open()) await WriteTracesAsync(writer, 5);

        string cursor;
        List<string> first;
        await using (var one = server.Open())
        {
            var page = await one.ListTracesAsync(new TraceListQuery(2), CancellationToken.None);
            (first, cursor) = (page.Traces.Select(t => t.BaseId).ToList(), page.NextCursor!);
        }
        await using var other = server.Open();
        var rest = await other.ListTracesAsync(new TraceListQuery(10, cursor), CancellationToken.None);

        Assert.Equal(["trace-04", "trace-03"], first);
        Assert.Equal(["trace-02", "trace-01", "trace-00"], rest.Traces.Select(t => t.BaseId));
        Assert.Null(rest.NextCursor);
    }

    [Fact]
    public async Task Traces_without_a_timestamp_page_by_cursor_after_the_timed_ones()
    {
        await using var store = server.Open();
        await WriteTracesAsync(store, 2);
        await server.Db().ListLeftPushAsync("osprofiler_opt:untimed-a", """{"name": "x-start"}""");
        await server.Db().ListLeftPushAsync("osprofiler_opt:untimed-b", """{"name": "x-start"}""");

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await store.ListTracesAsync(new TraceListQuery(1, cursor), CancellationToken.None);
            seen.AddRange(page.Traces.Select(t => t.BaseId));
            cursor = page.NextCursor;
        } while (cursor is not null && seen.Count < 10);

        Assert.Equal(["trace-01", "trace-00", "untimed-b", "untimed-a"], seen);
    }

    // D3 ------------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task On_a_timestamp_tie_the_earliest_point_is_the_one_stored_first(bool errorsOnly)
    {
        await using var store = server.Open(new DriverSettings { FilterErrorTrace = true });
        // Within one batch and across batches: every point at the same time, the failed one stored last.
        await store.WriteAsync([Point("tie", "op-1", "first-start", At), Point("tie", "op-2", "same-batch-start", At)],
            CancellationToken.None);
        await store.WriteAsync([Point("tie", "op-3", "later-start", At), Point("tie", "op-3", "later-stop", At, failed: true)],
            CancellationToken.None);

        var page = await store.ListTracesAsync(new TraceListQuery(10, Fields: ["name", "timestamp"], ErrorsOnly: errorsOnly),
            CancellationToken.None);
        var timestampsOnly = await store.ListTracesAsync(new TraceListQuery(10, ErrorsOnly: errorsOnly), CancellationToken.None);

        var trace = Assert.Single(page.Traces);
        Assert.Equal(("tie", "first-start", "2026-03-04T05:06:07.000000"),
            (trace.BaseId, trace.Fields["name"], trace.Timestamp));
        Assert.Equal("2026-03-04T05:06:07.000000", Assert.Single(timestampsOnly.Traces).Timestamp);
    }

    // D5 ------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Error_traces_are_listed_from_the_error_index_which_filter_error_trace_fills_on_write()
    {
        await using (var unfiltered = server.Open(new DriverSettings { FilterErrorTrace = false }))
            await unfiltered.WriteAsync([Point("unindexed", "op", "db-stop", At, failed: true)], CancellationToken.None);
        await using (var filtered = server.Open(new DriverSettings { FilterErrorTrace = true }))
        {
            await filtered.WriteAsync([Point("indexed", "op", "db-stop", At.AddSeconds(1), failed: true)], CancellationToken.None);
            await filtered.WriteAsync([Point("fine", "op", "db-stop", At.AddSeconds(2))], CancellationToken.None);
        }
        // An index record is the whole verdict: OSProfiler (or an operator) may index a trace none of whose points failed.
        await server.Db().StringSetAsync("osprofiler_error:fine", "{\"base_id\": \"fine\", \"timestamp\": \"2026-03-04T05:06:09.000000\"}");

        foreach (var readerFilters in new[] { false, true })
        {
            await using var reader = server.Open(new DriverSettings { FilterErrorTrace = readerFilters });
            var errors = await reader.ListTracesAsync(new TraceListQuery(10, ErrorsOnly: true), CancellationToken.None);
            var all = await reader.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);

            // The reading store's own filter_error_trace changes nothing: it only decides what writes index.
            Assert.Equal(["fine", "indexed"], errors.Traces.Select(t => t.BaseId));
            Assert.Equal(["fine", "indexed", "unindexed"], all.Traces.Select(t => t.BaseId));
        }
    }
}
