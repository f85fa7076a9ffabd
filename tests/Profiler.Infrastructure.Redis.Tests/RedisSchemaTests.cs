using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Domain.Reports;
using Profiler.Storage;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>OSProfiler's key schema (docs/osprofiler-formats.md §2), as written and as read, on a real redis-server.</summary>
public sealed class RedisSchemaTests(RedisServer server) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly DateTime At = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    public Task InitializeAsync() => server.FlushAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private static TracePoint Point(string baseId, string traceId, string name, DateTime at, JsonObject? info = null,
        string? project = "nova", string? service = "api") => new()
    {
        Name = name, BaseId = baseId, TraceId = traceId, ParentId = baseId,
        Timestamp = TraceTimestamp.FromDateTime(at).ToString(),
        Info = info ?? new JsonObject { ["host"] = "node-1" }, Project = project, Service = service,
    };

    private static async Task<List<StoredPoint>> ReadAllAsync(ITraceStore store, string baseId)
    {
        var points = new List<StoredPoint>();
        await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None)) points.Add(p);
        return points;
    }

    [Fact]
    public async Task Points_are_pushed_onto_the_trace_list_newest_first_as_OSProfiler_stores_them()
    {
        await using var store = server.Open(new DriverSettings { Project = "defproj", Service = "defsvc" });
        await store.WriteAsync(
        [
            Point("t-1", "op-1", "wsgi-start", At, project: null, service: null),
            Point("t-1", "op-1", "wsgi-stop", At.AddMilliseconds(3)),
        ], CancellationToken.None);

        var stored = await server.Db().ListRangeAsync("osprofiler_opt:t-1");

        Assert.Equal(2, stored.Length);
        var newest = JsonNode.Parse((string)stored[0]!)!;
        var oldest = JsonNode.Parse((string)stored[1]!)!;
        Assert.Equal("wsgi-stop", (string?)newest["name"]);
        Assert.Equal(("wsgi-start", "t-1", "op-1", "t-1", "2026-03-04T05:06:07.000000", "node-1", "defproj", "defsvc"),
            ((string?)oldest["name"], (string?)oldest["base_id"], (string?)oldest["trace_id"], (string?)oldest["parent_id"],
             (string?)oldest["timestamp"], (string?)oldest["info"]!["host"], (string?)oldest["project"], (string?)oldest["service"]));
        Assert.Equal(RedisType.List, await server.Db().KeyTypeAsync("osprofiler_opt:t-1"));
    }

    [Fact]
    public async Task A_failed_operation_is_indexed_under_osprofiler_error_only_when_error_filtering_is_on()
    {
        var failed = new JsonObject { ["host"] = "node-1", ["etype"] = "ValueError", ["message"] = "boom" };
        await using (var plain = server.Open())
            await plain.WriteAsync([Point("quiet", "op", "db-stop", At, (JsonObject)failed.DeepClone())], CancellationToken.None);
        await using (var filtering = server.Open(new DriverSettings { FilterErrorTrace = true }))
            await filtering.WriteAsync([Point("loud", "op", "db-stop", At, (JsonObject)failed.DeepClone())], CancellationToken.None);
        await using (var byQuery = server.Open(query: "?filter_error_trace=true"))
            await byQuery.WriteAsync([Point("by-query", "op", "db-stop", At.AddSeconds(1), (JsonObject)failed.DeepClone())], CancellationToken.None);
        await using (var off = server.Open(new DriverSettings { FilterErrorTrace = true }, query: "?filter_error_trace=false"))
            await off.WriteAsync([Point("off", "op", "db-stop", At, (JsonObject)failed.DeepClone())], CancellationToken.None);

        Assert.False(await server.Db().KeyExistsAsync("osprofiler_error:quiet"));
        Assert.False(await server.Db().KeyExistsAsync("osprofiler_error:off"));
        Assert.Equal("{\"base_id\": \"loud\", \"timestamp\": \"2026-03-04T05:06:07.000000\"}",
            (string?)await server.Db().StringGetAsync("osprofiler_error:loud"));
        await using var store = server.Open();
        var errors = await store.ListTracesAsync(new TraceListQuery(10, Fields: ["name", "host"], ErrorsOnly: true), CancellationToken.None);
        Assert.Equal(["by-query", "loud"], errors.Traces.Select(t => t.BaseId));
        Assert.Equal(("db-stop", "node-1"), (errors.Traces[1].Fields["name"], errors.Traces[1].Fields["host"]));
    }

    [Fact]
    public async Task An_error_index_record_without_a_trace_list_is_listed_with_its_own_timestamp()
    {
        await server.Db().StringSetAsync("osprofiler_error:orphan", "{\"base_id\": \"orphan\", \"timestamp\": \"2026-01-02T03:04:05.678901\"}");

        await using var store = server.Open();
        var errors = await store.ListTracesAsync(new TraceListQuery(10, ErrorsOnly: true), CancellationToken.None);

        var trace = Assert.Single(errors.Traces);
        Assert.Equal(("orphan", "2026-01-02T03:04:05.678901"), (trace.BaseId, trace.Timestamp));
    }

    [Fact]
    public async Task Legacy_osprofiler_keys_are_read_as_points_of_their_own_trace_only_and_listed()
    {
        var db = server.Db();
        // The legacy schema: one key per point, osprofiler:<base_id><anything>, value the point's JSON.
        string Json(string baseId, string name, DateTime at) =>
            TracePointJsonText(Point(baseId, "legacy-op", name, at));
        await db.StringSetAsync("osprofiler:abc-1legacy-op-start", Json("abc-1", "rpc-start", At));
        await db.StringSetAsync("osprofiler:abc-1legacy-op-stop", Json("abc-1", "rpc-stop", At.AddMilliseconds(7)));
        // Another trace whose id starts with the first one's: its keys match the pattern osprofiler:abc-1*.
        await db.StringSetAsync("osprofiler:abc-10legacy-op-start", Json("abc-10", "rpc-start", At.AddSeconds(5)));
        await using var store = server.Open();
        // Points of the new schema in the same trace are read after the legacy ones.
        await store.WriteAsync(
        [
            Point("abc-1", "new-op", "db-start", At.AddMilliseconds(1)),
            Point("abc-1", "new-op", "db-stop", At.AddMilliseconds(2)),
        ], CancellationToken.None);

        var points = await ReadAllAsync(store, "abc-1");
        var builder = new ReportBuilder();
        points.ForEach(builder.Add);
        var report = builder.Build();

        Assert.Equal(4, points.Count);
        Assert.All(points, p => Assert.True(p.IsReadable));
        Assert.Equal(["rpc", "db"], report.Children.Select(c => c.Name));
        Assert.Equal(7, report.Children[0].Finished);
        Assert.Single(await ReadAllAsync(store, "abc-10"));
        Assert.Empty(await ReadAllAsync(store, "abc"));

        var list = await store.ListTracesAsync(new TraceListQuery(10, Fields: ["name", "host"]), CancellationToken.None);
        Assert.Equal(["abc-10", "abc-1"], list.Traces.Select(t => t.BaseId));
        Assert.Equal("2026-03-04T05:06:07.000000", list.Traces[1].Timestamp);
        Assert.Equal("rpc-start", list.Traces[1].Fields["name"]);
    }

    [Fact]
    public async Task An_unparsable_list_element_reads_as_an_unreadable_point_not_an_exception()
    {
        await server.Db().ListLeftPushAsync("osprofiler_opt:broken", ["{not json", TracePointJsonText(Point("broken", "op", "db-start", At))]);

        await using var store = server.Open();
        var points = await ReadAllAsync(store, "broken");

        Assert.Equal(2, points.Count);
        Assert.True(points[0].IsReadable);
        Assert.False(points[1].IsReadable);
        Assert.Single((await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None)).Traces);
    }

    [Theory]
    // Top-level timestamp first: read without decoding.
    [InlineData("""{"name": "a-start", "timestamp": "2026-03-04T05:06:07.000001", "info": {"timestamp": "1999-01-01T00:00:00"}}""", "2026-03-04T05:06:07.000001")]
    // A nested object before it, a nested "timestamp" key first, a second top-level key, escapes, text that only looks alike.
    [InlineData("""{"info": {"timestamp": "1999-01-01T00:00:00"}, "timestamp": "2026-03-04T05:06:07.000002"}""", "2026-03-04T05:06:07.000002")]
    [InlineData("""{"timestamp": "1999-01-01T00:00:00", "name": "x", "timestamp": "2026-03-04T05:06:07.000003"}""", "2026-03-04T05:06:07.000003")]
    [InlineData("""{"timestamp": "2026-03-04T05:06:07.00000\u0034"}""", "2026-03-04T05:06:07.000004")]
    [InlineData("""{"name": "a\", \"timestamp\": \"1999", "timestamp": "2026-03-04T05:06:07.000005"}""", "2026-03-04T05:06:07.000005")]
    [InlineData("""{"x\"timestamp": "1999-01-01T00:00:00", "timestamp": "2026-03-04T05:06:07.000006"}""", "2026-03-04T05:06:07.000006")]
    [InlineData("""{"name":"compact","timestamp":"2026-03-04T05:06:07.000007","info":{"timestamp":"1999-01-01T00:00:00"}}""", "2026-03-04T05:06:07.000007")]
    [InlineData("""{"name": "timestamp", "timestamp" : "2026-03-04T05:06:07.000008"}""", "2026-03-04T05:06:07.000008")]
    [InlineData("""{"name": "no time"}""", "")]
    [InlineData("""["timestamp", "1999-01-01T00:00:00"]""", "")]
    public async Task A_listing_shows_the_top_level_timestamp_of_the_earliest_point_however_the_document_is_laid_out(string document, string expected)
    {
        await server.Db().ListLeftPushAsync("osprofiler_opt:layout", document);

        await using var store = server.Open();
        var list = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);

        Assert.Equal(("layout", expected), (list.Traces.Single().BaseId, list.Traces.Single().Timestamp));
    }

    [Fact]
    public async Task A_trace_longer_than_one_read_chunk_streams_back_in_list_order()
    {
        await using var store = server.Open();
        var count = RedisTraceReader.ReadChunk * 2 + 17;
        var points = Enumerable.Range(0, count / 2 + 1).SelectMany(i => new[]
        {
            Point("long", $"op{i}", "db-start", At.AddMilliseconds(i)),
            Point("long", $"op{i}", "db-stop", At.AddMilliseconds(i + 0.5)),
        }).Take(count).ToList();
        await store.WriteAsync(points, CancellationToken.None);

        var read = await ReadAllAsync(store, "long");

        Assert.Equal(count, read.Count);
        // Newest first, as the list holds them: exactly the written order reversed.
        Assert.Equal(points.Select(p => (p.TraceId, p.Name)).Reverse(), read.Select(p => (p.TraceId, p.Name)));
    }

    /// <summary>Redis Cluster's hash slot (its specification: CRC16/XMODEM of the key, or of its first non-empty <c>{…}</c> tag, mod 16384).</summary>
    private static int KeySlot(string key)
    {
        var open = key.IndexOf('{');
        if (open >= 0 && key.IndexOf('}', open + 1) is var close and > 0 && close > open + 1) key = key[(open + 1)..close];
        ushort crc = 0;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(key))
        {
            crc ^= (ushort)(b << 8);
            for (var i = 0; i < 8; i++) crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
        }
        return crc % 16384;
    }

    [Fact]
    public void The_hash_slot_check_computes_Redis_Clusters_slots() =>
        // The specification's CRC16 check value, and a tag selecting the slot.
        Assert.Equal((0x31C3 % 16384, KeySlot("user1000")), (KeySlot("123456789"), KeySlot("{user1000}.following")));

    [Theory]
    [InlineData("a-b")]
    [InlineData("3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    [InlineData("req:42.x_y")]
    public void A_batch_key_lives_in_its_trace_lists_cluster_hash_slot_and_outside_every_osprofiler_scan(string baseId)
    {
        var batchKey = RedisSchema.BatchKey(baseId, Guid.NewGuid());

        Assert.Equal(KeySlot(RedisSchema.ListPrefix + baseId), KeySlot(batchKey));
        Assert.NotEqual(KeySlot(RedisSchema.ListPrefix + baseId), KeySlot(RedisSchema.ListPrefix + baseId + "-other"));
        Assert.StartsWith("{", batchKey, StringComparison.Ordinal);
        Assert.False(batchKey.StartsWith("osprofiler", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_base_id_that_is_not_a_safe_id_is_refused_on_write_and_reads_as_nothing()
    {
        await using var store = server.Open();
        await Assert.ThrowsAsync<ArgumentException>(() =>
            store.WriteAsync([Point("a*b", "op", "db-start", At)], CancellationToken.None));
        await store.WriteAsync([Point("a-b", "op", "db-start", At)], CancellationToken.None);

        Assert.Empty(await ReadAllAsync(store, "a?b"));
        Assert.Empty(await ReadAllAsync(store, "a*"));
        Assert.Empty(await ReadAllAsync(store, "a-b\nx"));
        Assert.Empty(await ReadAllAsync(store, ""));
        // OSProfiler's keys: the list only. Profiler's own (the batch key of the one write that went through, the search
        // summary and index keys, docs/search.md) are outside OSProfiler's osprofiler* patterns.
        Assert.Equal(["osprofiler_opt:a-b"], server.Admin.GetServer("127.0.0.1", server.Port).Keys(pattern: "osprofiler*").Select(k => k.ToString()));
        var own = server.Admin.GetServer("127.0.0.1", server.Port).Keys(pattern: "{osprofiler_opt:a-b}:*").Select(k => k.ToString()).ToList();
        Assert.Contains(own, k => k.StartsWith("{osprofiler_opt:a-b}:batch:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cursor_this_store_did_not_give_out_is_a_format_error_naming_it()
    {
        await using var store = server.Open();
        var e = await Assert.ThrowsAsync<FormatException>(() =>
            store.ListTracesAsync(new TraceListQuery(10, "yesterday"), CancellationToken.None));
        Assert.Contains("'yesterday'", e.Message);
    }

    [Fact]
    public async Task Listing_twenty_thousand_traces_is_pipelined_and_fast()
    {
        const int traces = 20_000;
        await using var store = server.Open();
        var points = Enumerable.Range(0, traces).SelectMany(i => new[]
        {
            Point($"bulk-{i:D5}", "op", "wsgi-start", At.AddMilliseconds(i)),
            Point($"bulk-{i:D5}", "op", "wsgi-stop", At.AddMilliseconds(i + 2)),
        }).ToList();
        for (var i = 0; i < points.Count; i += 4000)
            await store.WriteAsync(points.GetRange(i, Math.Min(4000, points.Count - i)), CancellationToken.None);

        await store.ListTracesAsync(new TraceListQuery(1), CancellationToken.None); // connect and warm up
        // Its speed is measured by `profiler bench list` beside OSProfiler, not asserted here.
        var page = await store.ListTracesAsync(new TraceListQuery(traces), CancellationToken.None);

        Assert.Equal(traces, page.Traces.Count);
        Assert.Null(page.NextCursor);
        Assert.Equal("bulk-19999", page.Traces[0].BaseId);
        Assert.Equal("bulk-00000", page.Traces[^1].BaseId);
    }

    [Fact]
    public async Task Concurrent_batches_over_interleaved_traces_store_every_document_exactly_in_batch_order()
    {
        // Each write serialises into a pooled buffer that goes back to the pool once its commands are answered: batches
        // written at the same time must never see each other's bytes.
        await using var store = server.Open(new DriverSettings { Project = "defproj", Service = "defsvc" });
        const int batches = 24, perBatch = 700, traces = 7;
        var written = Enumerable.Range(0, batches).Select(b => Enumerable.Range(0, perBatch).Select(i => Point(
            // New string instances each time: the same trace is recognised by its text, not its reference.
            new string($"mix-{(b + i) % traces}".ToCharArray()), $"op-{b}-{i}", i % 2 == 0 ? "db-start" : "db-stop",
            At.AddTicks(b * 10_000L + i * 10), new JsonObject { ["host"] = "node-1", ["payload"] = new string((char)('a' + b % 26), 200 + i % 97) },
            project: i % 3 == 0 ? null : "nova")).ToList()).ToList();

        await Task.WhenAll(written.Select(batch => Task.Run(() => store.WriteAsync(batch, CancellationToken.None))));

        for (var t = 0; t < traces; t++)
        {
            var stored = (await server.Db().ListRangeAsync($"osprofiler_opt:mix-{t}")).Select(v => (byte[])v!).ToList();
            var expected = written.Select(batch => batch.Where(p => p.BaseId == $"mix-{t}")
                .Select(p => TracePointJson.ToUtf8(p, "defproj", "defsvc")).ToList()).ToList();
            Assert.Equal(expected.Sum(e => e.Count), stored.Count);
            // Batches land in any order, each one's points contiguous and in batch order (newest first in the list).
            var remaining = stored.AsEnumerable().Reverse().ToList();
            while (remaining.Count > 0)
            {
                var batch = expected.Single(e => e.Count > 0 && e[0].AsSpan().SequenceEqual(remaining[0]));
                Assert.Equal(batch, remaining.Take(batch.Count));
                remaining.RemoveRange(0, batch.Count);
                expected.Remove(batch);
            }
        }
    }

    [Fact]
    public async Task A_batch_with_one_unsafe_base_id_after_safe_ones_writes_nothing()
    {
        await using var store = server.Open();
        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(
            [Point("ok-1", "op", "db-start", At), Point("ok-1", "op", "db-stop", At), Point("bad id", "op", "db-start", At)],
            CancellationToken.None));

        Assert.Empty(server.Admin.GetServer("127.0.0.1", server.Port).Keys(pattern: "*"));
    }

    private static string TracePointJsonText(TracePoint point) =>
        System.Text.Encoding.UTF8.GetString(TracePointJson.ToUtf8(point));
}
