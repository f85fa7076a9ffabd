using Microsoft.Data.Sqlite;
using Profiler.Domain;
using Profiler.Domain.Reports;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Sql.Tests;

public sealed class SqliteSchemaTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string File => Path.Combine(_dir.Path, "schema.db");

    private ITraceStore Open() => new SqliteDriver().Open(ConnectionString.Parse($"sqlite:///{File}"), new DriverSettings());

    private List<Dictionary<string, object?>> Query(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={File}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<Dictionary<string, object?>>();
        while (reader.Read())
            rows.Add(Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? null : reader.GetValue(i)));
        return rows;
    }

    [Fact]
    public async Task The_data_table_and_its_indexes_are_created_as_OSProfiler_creates_them()
    {
        await using (var store = Open())
            await store.WriteAsync(FixtureTrace.Load("simple", "mysql").Points, CancellationToken.None);

        var columns = Query("PRAGMA table_info(data)").Select(r => ((string)r["name"]!, (string)r["type"]!)).ToList();
        Assert.Equal(
        [
            ("id", "INTEGER"), ("base_id", "varchar(255)"), ("data", "JSON"), ("host", "varchar(255)"), ("name", "varchar(255)"),
            ("parent_id", "varchar(255)"), ("project", "varchar(255)"), ("service", "varchar(255)"),
            ("timestamp", "varchar(26)"), ("trace_id", "varchar(255)"),
        ], columns.OrderBy(c => c.Item1 == "id" ? "" : c.Item1));
        var indexes = Query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'data'").Select(r => (string)r["name"]!);
        Assert.Equal(["ix_data_base_id", "ix_data_host", "ix_data_name", "ix_data_parent_id", "ix_data_project", "ix_data_service",
            "ix_data_timestamp", "ix_data_trace_id"], indexes.Order());
    }

    [Fact]
    public async Task The_data_column_is_written_double_encoded_like_OSProfiler()
    {
        await using (var store = Open())
            await store.WriteAsync(FixtureTrace.Load("simple", "mysql").Points.Take(1).ToList(), CancellationToken.None);

        var data = (string)Query("SELECT data FROM data").Single()["data"]!;
        Assert.StartsWith("\"{", data);
        var inner = System.Text.Json.JsonSerializer.Deserialize<string>(data)!;
        Assert.Equal("GET", System.Text.Json.Nodes.JsonNode.Parse(inner)!["info"]!["request"]!["method"]!.GetValue<string>());
    }

    /// <summary>The two-step encoding the one-pass <c>OsProfilerData.Encode</c> replaced: what OSProfiler-compatible bytes were.</summary>
    private static string TwoStepEncoding(TracePoint point) => System.Text.Json.JsonSerializer.Serialize(
        "{\"info\": " + TracePointJson.InfoJson(point) + "}", RelaxedEscaping);

    private static readonly System.Text.Json.JsonSerializerOptions RelaxedEscaping =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static TracePoint PointWithInfo(System.Text.Json.Nodes.JsonObject? info, string? project = "p") => new()
    {
        Name = "op-start", BaseId = "b", TraceId = "t", ParentId = "b", Timestamp = "2026-11-25T01:40:38.471000",
        Info = info, Project = project, Service = "s",
    };

    [Fact]
    public void Data_is_encoded_in_one_pass_to_the_same_bytes_as_in_two_steps()
    {
        var printable = new string(Enumerable.Range(0x20, 0x7F - 0x20).Select(c => (char)c).ToArray());
        var infos = new List<System.Text.Json.Nodes.JsonObject?>
        {
            null,
            new(),
            new() { ["host"] = "h", ["payload"] = new string('x', 250) },
            new() { ["ascii"] = printable, [printable] = 1 },
            new() { ["controls"] = "\0\u0001\t\n\r\b\f\u001f\u007f", ["quotes"] = "\"'\\/\\\"" },
            new() { ["unicode"] = "é ü 中文 😀 \u2028\u2029 \ufeff", ["html"] = "<script>&amp;</script>+`" },
            new() { ["nested"] = new System.Text.Json.Nodes.JsonObject { ["a"] = new System.Text.Json.Nodes.JsonArray(1, 2.5, true, null, "x\"y") } },
            System.Text.Json.Nodes.JsonNode.Parse("""{"parsed": "a\u00e9\"\\b", "n": 1e3, "esc": "\u003c"}""")!.AsObject(),
        };
        foreach (var info in infos)
        {
            var point = PointWithInfo(info);
            Assert.Equal(TwoStepEncoding(point), OsProfilerData.Encode(point));
        }
    }

    [Fact]
    public async Task Empty_strings_are_stored_as_empty_text_not_null()
    {
        await using (var store = Open())
            await store.WriteAsync([PointWithInfo(new() { ["host"] = "" }, project: "")], CancellationToken.None);

        var row = Query("SELECT project, host, typeof(project) AS t, typeof(data) AS d, data FROM data").Single();
        Assert.Equal("", row["project"]);
        Assert.Equal("", row["host"]);
        Assert.Equal("text", row["t"]);
        Assert.Equal("text", row["d"]);
        Assert.Equal(TwoStepEncoding(PointWithInfo(new() { ["host"] = "" })), row["data"]);
    }

    [Fact]
    public async Task A_batch_keeps_its_order_across_statements_and_a_failed_batch_leaves_no_row()
    {
        var points = Enumerable.Range(0, 2 * SqliteRowWriter.RowsPerStatement + 7).Select(i => new TracePoint
        {
            Name = i % 2 == 0 ? "op-start" : "op-stop", BaseId = "order", TraceId = $"t{i:D4}", ParentId = "order",
            Timestamp = "2026-11-25T01:40:38.471000", Info = new() { ["i"] = i },
        }).ToList();
        await using (var store = Open())
        {
            await store.WriteAsync(points, CancellationToken.None);
            using var cancelled = new CancellationTokenSource();
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync(points, cancelled.Token));
        }

        var ids = Query("SELECT trace_id FROM data ORDER BY id").Select(r => (string)r["trace_id"]!).ToList();
        Assert.Equal(points.Select(p => p.TraceId), ids);
    }

    [Fact]
    public async Task Rows_whose_data_holds_a_plain_object_or_garbage_still_read()
    {
        await using (var store = Open())
            await store.WriteAsync(FixtureTrace.Load("unfinished", "mysql").Points, CancellationToken.None);
        var baseId = FixtureTrace.Load("unfinished", "mysql").BaseId;
        using (var connection = new SqliteConnection($"Data Source={File}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                INSERT INTO data (timestamp, base_id, parent_id, trace_id, project, host, service, name, data) VALUES
                ('2026-11-25T01:40:38.471000', '{baseId}', '{baseId}', 'plain-op', 'p', 'h', 's', 'plain-start', '{"{"}"info": {"{"}"host": "x"{"}"}{"}"}'),
                ('2026-11-25T01:40:38.471500', '{baseId}', '{baseId}', 'bad-op', 'p', 'h', 's', 'bad-start', 'not json at all')
                """;
            command.ExecuteNonQuery();
        }

        var builder = new ReportBuilder();
        await using (var store = Open())
            await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None)) builder.Add(p);
        var report = builder.Build();

        Assert.Equal(1, report.SkippedPoints);
        Assert.Contains(report.Children, n => n.Name == "plain");
    }

    [Fact]
    public async Task Only_a_stop_point_with_an_etype_key_marks_an_error_trace()
    {
        await using var store = Open();
        await store.WriteAsync(SqlServerTestKit.ErrorListingPoints(), CancellationToken.None);

        var page = await store.ListTracesAsync(new TraceListQuery(10, ErrorsOnly: true), CancellationToken.None);

        Assert.Equal(["failed"], page.Traces.Select(t => t.BaseId));
    }
}
