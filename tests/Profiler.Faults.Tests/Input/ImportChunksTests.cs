using System.Text;
using Microsoft.Data.Sqlite;
using Profiler.Cli.Tests;
using Profiler.Testing;

namespace Profiler.Faults.Tests.Input;

/// <summary>
/// <c>profiler trace import</c> (the published CLI) of a file larger than one write (10,000 points) into a real SQLite
/// store: a store failure half-way leaves the earlier chunks stored, and running the same import again stores the rest,
/// each point once. A line the store could not write (a lone UTF-16 surrogate) is refused before anything is stored.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class ImportChunksTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new("profiler-faults-import-chunks-");

    public void Dispose() => _work.Dispose();

    private string Database => Path.Combine(_work.Path, "traces.db");
    private string Store => $"sqlite:///{Database}";

    private static string Line(string baseId, string traceId, string name, int n) =>
        $"{{\"name\": \"{name}\", \"base_id\": \"{baseId}\", \"trace_id\": \"{traceId}\", \"parent_id\": \"{baseId}\", " +
        $"\"timestamp\": \"2026-03-01T12:{n / 60_000_000 % 60:00}:{n / 1_000_000 % 60:00}.{n % 1_000_000:000000}\", \"info\": {{\"host\": \"node-1\"}}}}";

    private void Sql(string statement)
    {
        using var connection = new SqliteConnection($"Data Source={Database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = statement;
        command.ExecuteNonQuery();
    }

    private long Count(string baseId)
    {
        using var connection = new SqliteConnection($"Data Source={Database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM data WHERE base_id = $b";
        command.Parameters.AddWithValue("$b", baseId);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public void An_import_that_failed_in_its_second_chunk_run_again_stores_every_point_once()
    {
        // 8,192 operations: 16,384 points, two chunks. A first small import creates the store's tables.
        var warmUp = Path.Combine(_work.Path, "warm-up.jsonl");
        File.WriteAllText(warmUp, Line("warm-up", "w1", "db-start", 0) + "\n" + Line("warm-up", "w1", "db-stop", 1) + "\n");
        Assert.Equal(0, cli.Run(_work.Path, "trace", "import", warmUp, "-c", Store).ExitCode);
        var lines = new StringBuilder();
        for (var i = 0; i < 8_192; i++)
            lines.Append(Line("imported", $"op{i}", "db-start", 2 * i)).Append('\n').Append(Line("imported", $"op{i}", "db-stop", 2 * i + 1)).Append('\n');
        var file = Path.Combine(_work.Path, "points.jsonl");
        File.WriteAllText(file, lines.ToString());
        // The store refuses (and rolls back) the write holding operation 6,000's points (points 12,000 and 12,001), as a full disk would.
        Sql("CREATE TRIGGER fail_write BEFORE INSERT ON data WHEN NEW.trace_id = 'op6000' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");

        var failed = cli.Run(_work.Path, "trace", "import", file, "-c", Store);

        Assert.True(failed.ExitCode == 3, failed.All);
        Assert.Contains("10000 of the 16384 points (1 of 2 chunks of up to 10000) were imported before the failure; run the same import again", failed.StandardError);
        Assert.DoesNotContain("   at ", failed.All);
        Assert.Equal(10_000, Count("imported"));

        Sql("DROP TRIGGER fail_write;");
        var again = cli.Run(_work.Path, "trace", "import", file, "-c", Store);

        Assert.True(again.ExitCode == 0, again.All);
        Assert.Equal(16_384, Count("imported"));
    }

    [Fact]
    public void A_line_whose_info_holds_a_lone_UTF16_surrogate_exits_2_naming_the_line_and_field_and_imports_nothing()
    {
        var file = Path.Combine(_work.Path, "surrogate.jsonl");
        File.WriteAllText(file,
            Line("surrogate", "op1", "db-start", 0) + "\n" +
            Line("surrogate", "op1", "db-stop", 1).Replace("\"host\": \"node-1\"", "\"host\": \"node-1\", \"emoji\": \"\\ud83d\\ude00\"") + "\n" +
            Line("surrogate", "op2", "db-start", 2).Replace("\"host\": \"node-1\"", "\"host\": \"node-1\", \"db\": {\"statement\": \"SELECT '\\ud83d'\"}") + "\n");

        var import = cli.Run(_work.Path, "trace", "import", file, "-c", Store);

        Assert.True(import.ExitCode == 2, import.All);
        Assert.Contains("surrogate.jsonl:3: info.db.statement \"SELECT '\\ud83d'\" holds a lone UTF-16 surrogate", import.StandardError);
        Assert.DoesNotContain("surrogate.jsonl:2:", import.StandardError);
        Assert.Contains("nothing was imported", import.StandardError);
        Assert.Equal(1, cli.Run(_work.Path, "trace", "show", "surrogate", "-c", Store).ExitCode);
    }

    [Fact]
    public void The_same_file_imported_twice_is_stored_once()
    {
        var file = Path.Combine(_work.Path, "twice.jsonl");
        File.WriteAllText(file, Line("twice", "op1", "db-start", 0) + "\n" + Line("twice", "op1", "db-stop", 1) + "\n");

        Assert.Equal(0, cli.Run(_work.Path, "trace", "import", file, "-c", Store).ExitCode);
        Assert.Equal(0, cli.Run(_work.Path, "trace", "import", file, "-c", Store).ExitCode);

        Assert.Equal(2, Count("twice"));
    }
}
