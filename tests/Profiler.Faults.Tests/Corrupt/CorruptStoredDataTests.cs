using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Profiler.Cli.Tests;
using Profiler.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Corrupt;

/// <summary>
/// Garbage in a store (not JSON, missing fields, invalid UTF-8, wrong key types, NULL columns): <c>profiler trace
/// show</c> still builds the report from the readable points and says how many it skipped; <c>trace list</c> and
/// <c>trace list --error-trace</c> still list every trace.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CorruptStoredDataTests(PublishedCli cli, ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new("profiler-faults-corrupt-");

    public void Dispose() => _work.Dispose();

    private static readonly FixtureTrace Simple = FixtureTrace.Load("simple", "redis");

    /// <summary>A failed request: its stop point carries info.etype.</summary>
    private string ErrorTraceFile(string baseId)
    {
        var file = Path.Combine(_work.Path, $"{baseId}.jsonl");
        File.WriteAllLines(file,
        [
            $"{{\"name\": \"wsgi-start\", \"base_id\": \"{baseId}\", \"trace_id\": \"{baseId}-w\", \"parent_id\": \"{baseId}\", \"timestamp\": \"2026-03-01T12:00:00.000001\", \"info\": {{\"host\": \"n\"}}}}",
            $"{{\"name\": \"wsgi-stop\", \"base_id\": \"{baseId}\", \"trace_id\": \"{baseId}-w\", \"parent_id\": \"{baseId}\", \"timestamp\": \"2026-03-01T12:00:00.005001\", \"info\": {{\"host\": \"n\", \"etype\": \"ValueError\", \"message\": \"boom\"}}}}",
        ]);
        return file;
    }

    private void Import(string file, string store)
    {
        var import = cli.Run(_work.Path, "trace", "import", file, "-c", store);
        Assert.True(import.ExitCode == 0, import.All);
    }

    /// <summary>Runs show, list and list --error-trace; checks each, and returns the report.</summary>
    private JsonNode ShowAndList(string store, string baseId, int skipped, string errorBaseId, string what)
    {
        var show = cli.Run(_work.Path, "trace", "show", baseId, "-c", store);
        var list = cli.Run(_work.Path, "trace", "list", "-c", store);
        var errors = cli.Run(_work.Path, "trace", "list", "--error-trace", "-c", store);
        var errorShow = cli.Run(_work.Path, "trace", "show", errorBaseId, "-c", store);
        output.WriteLine($"{what}: show exit {show.ExitCode} ({show.StandardError.Trim()}), list exit {list.ExitCode}, " +
                         $"list --error-trace exit {errors.ExitCode}, show of the error trace exit {errorShow.ExitCode}");
        foreach (var r in new[] { show, list, errors, errorShow })
        {
            Assert.True(r.ExitCode == 0, r.All);
            Assert.DoesNotContain("   at ", r.All);
        }
        var report = JsonNode.Parse(show.StandardOutput)!;
        Assert.Equal(skipped, (int)report["info"]!["skipped_points"]!);
        Assert.Contains($"{skipped} stored point(s) could not be read", show.StandardError);
        Assert.Contains(baseId, list.StandardOutput);
        Assert.Contains(errorBaseId, list.StandardOutput);
        Assert.Contains(errorBaseId, errors.StandardOutput);
        return report;
    }

    [Fact]
    public void Garbage_in_Redis_is_skipped_and_counted_and_listings_still_work()
    {
        using var redis = new AdminRedisServer();
        var store = redis.Url("?filter_error_trace=true");
        Import(Fixtures.PointsFile("simple", "redis"), store);
        Import(ErrorTraceFile("err-1"), store);
        var db = redis.Db;
        var key = "osprofiler_opt:" + Simple.BaseId;
        // Points in the trace's list that cannot be read; pushed at both ends (the tail is what a listing reads).
        RedisValue[] garbage =
        [
            "not json", "", "{", "[]", "null", "{\"name\": \"db-start\"}", "{\"name\": 5, \"trace_id\": [], \"parent_id\": {}, \"timestamp\": true}",
            "{\"name\": \"x-start\", \"trace_id\": \"t\", \"parent_id\": \"p\", \"timestamp\": \"yesterday\"}",
            (byte[])[.. "{\"base_id\": \""u8, 0xFF, 0xFE, .. "\", \"timestamp\": \"2026-01-01T00:00:00.0\"}"u8],
            "{\"base_id\": \"\\ud800\", \"timestamp\": \"\\udfff\", \"name\": \"\\ud800-start\"}",
            new string('[', 5000) + new string(']', 5000),
            (byte[])[0x00, 0x01, 0x02, 0xFF],
        ];
        db.ListLeftPush(key, garbage);
        db.ListRightPush(key, garbage);
        // Legacy keys: garbage under the trace's prefix, and a legacy key of the wrong type.
        db.StringSet($"osprofiler:{Simple.BaseId}-legacy-garbage", "}}not json{{");
        db.StringSet($"osprofiler:{Simple.BaseId}-legacy-nofields", "{\"base_id\": \"" + Simple.BaseId + "\"}");
        db.ListLeftPush($"osprofiler:{Simple.BaseId}-legacy-list", "a list, not a string");
        // Error index records that are garbage, for a listed trace and for one that has no list.
        db.StringSet("osprofiler_error:err-1", "garbage");
        db.StringSet("osprofiler_error:orphan-err", (byte[])[0xFF, 0x00]);
        db.StringSet("osprofiler_error:bad*id", "{}");
        // Keys that are not what the schema says: wrong types, unsafe ids, empty ids, invalid UTF-8 in the tail point.
        db.StringSet("osprofiler_opt:wrongtype", "a string, not a list");
        db.HashSet("osprofiler_opt:hash", "f", "v");
        db.ListLeftPush("osprofiler_opt:glob*[id]", Points("glob"));
        db.ListLeftPush("osprofiler_opt:", Points("empty"));
        db.ListLeftPush("osprofiler_opt:tail-garbage", (byte[])[.. "{\"timestamp\": \""u8, 0xC3, 0x28, .. "\"}"u8]);
        db.SetAdd("osprofiler_error:set", "x");
        db.StringSet("osprofiler_error:err-list-wrongtype", "{\"base_id\": \"err-list-wrongtype\", \"timestamp\": \"2026-01-01T00:00:00.0\"}");
        db.StringSet("osprofiler_opt:err-list-wrongtype", "a string, not a list");

        var skipped = garbage.Length * 2 + 2; // both pushes, the two unreadable legacy strings; the legacy list is not a point
        var report = ShowAndList(store, Simple.BaseId, skipped, "err-1", "Redis with garbage");
        report["info"]!.AsObject().Remove("skipped_points");
        ReportAssert.Equivalent(FixtureTrace.Report("simple", "redis"), report);
        Assert.Equal(FixtureTrace.Report("simple", "redis")["stats"]!.ToJsonString(), report["stats"]!.ToJsonString());
    }

    private static RedisValue Points(string baseId) =>
        $"{{\"name\": \"a-start\", \"base_id\": \"{baseId}\", \"trace_id\": \"t\", \"parent_id\": \"p\", \"timestamp\": \"2026-01-01T00:00:00.0\", \"info\": {{}}}}";

    [Fact]
    public void Broken_rows_in_SQLite_are_skipped_and_counted_and_listings_still_work()
    {
        var file = Path.Combine(_work.Path, "corrupt.db");
        var store = $"sqlite:///{file}";
        Import(Fixtures.PointsFile("simple", "redis"), store);
        Import(ErrorTraceFile("err-1"), store);
        var id = Simple.BaseId;
        using (var connection = new SqliteConnection($"Data Source={file};Pooling=false"))
        {
            connection.Open();
            void Insert(string columns, string values)
            {
                using var command = connection.CreateCommand();
                command.CommandText = $"INSERT INTO data ({columns}) VALUES ({values})";
                command.Parameters.AddWithValue("@id", id);
                command.ExecuteNonQuery();
            }
            const string all = "timestamp, base_id, parent_id, trace_id, project, host, service, name, data";
            // Unreadable points of the trace.
            Insert(all, "'2026-01-01T00:00:00.0', @id, 'p', 't1', 'nova', 'h', 'api', 'db-start', 'not json'");
            Insert(all, "'2026-01-01T00:00:00.0', @id, 'p', 't2', 'nova', 'h', 'api', 'db-start', '\"not json inside\"'");
            Insert(all, "'2026-01-01T00:00:00.0', @id, 'p', 't3', 'nova', 'h', 'api', 'db-start', '\"[1, 2]\"'");
            Insert(all, "'2026-01-01T00:00:00.0', @id, 'p', 't4', 'nova', 'h', 'api', 'db-start', '[1, 2]'");
            Insert(all, "'2026-01-01T00:00:00.0', @id, 'p', 't5', 'nova', 'h', 'api', 'db-start', X'FFFE00'");
            Insert(all, "'2026-01-01T00:00:00.0', @id, 'p', 't6', 'nova', 'h', 'api', 'db-start', 42");
            Insert(all, "'not a time', @id, 'p', 't7', 'nova', 'h', 'api', 'db-start', '{}'");
            Insert(all, "NULL, @id, 'p', 't8', 'nova', 'h', 'api', 'db-start', '{}'");
            Insert(all, "'2026-01-01T00:00:00.0', @id, 'p', 't9', 'nova', 'h', 'api', NULL, '{}'");
            Insert(all, "'2026-01-01T00:00:00.0', @id, 'p', NULL, 'nova', 'h', 'api', 'db-start', '{}'");
            Insert(all, "'2026-01-01T00:00:00.0', @id, NULL, 't10', 'nova', 'h', 'api', 'db-start', '{}'");
            Insert("base_id", "@id");
            // Rows that belong to no readable trace: NULL or unsafe base ids, a NULL everything row.
            Insert(all, "'2026-01-01T00:00:00.0', NULL, 'p', 't', 'nova', 'h', 'api', 'db-start', '{}'");
            Insert(all, "'2026-01-01T00:00:00.0', '*', 'p', 't', 'nova', 'h', 'api', 'db-stop', '{\"info\": {\"etype\": \"X\"}}'");
            Insert(all, "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL");
            Insert(all, "X'FF', X'FE', 1, 2, 3, 4, 5, X'00', X'FF'");
        }
        var report = ShowAndList(store, id, 12, "err-1", "SQLite with broken rows");
        Assert.Equal(FixtureTrace.Report("simple", "redis")["stats"]!.ToJsonString(), report["stats"]!.ToJsonString());
    }
}
