using System.Data.Common;
using Microsoft.Data.Sqlite;
using Profiler.Testing;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>
/// <see cref="SqliteReadConnection"/> (a store's reads, straight on SQLitePCLRaw) reads what Microsoft.Data.Sqlite
/// reads, and fails as it does: the same commands run on both and give the same values, counts and errors.
/// </summary>
public sealed class SqliteReadConnectionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string File => Path.Combine(_dir.Path, "t.db");

    private SqliteConnection Provider(int timeout = 30) =>
        new(new SqliteConnectionStringBuilder { DataSource = File, Pooling = false, DefaultTimeout = timeout }.ToString());

    private SqliteReadConnection Read(int timeout = 30) => new(File, timeout);

    private async Task SetUpAsync()
    {
        await using var c = Provider();
        await c.OpenAsync();
        await using var command = c.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT, b BLOB);" +
                              "INSERT INTO t (n, r, s, b) VALUES (42, 1.5, 'héllo', x'0102'), (NULL, NULL, NULL, NULL), (-7, 0, '', x'');";
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Every value of every row, as GetValue gives it, with its type.</summary>
    private static async Task<List<string>> RowsAsync(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        do
        {
            while (await reader.ReadAsync())
            {
                var cells = new List<string>();
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var v = reader.GetValue(i);
                    cells.Add($"{reader.GetName(i)}={v.GetType().Name}:{(v is byte[] b ? Convert.ToHexString(b) : v)}|null={reader.IsDBNull(i)}");
                }
                rows.Add(string.Join(" ", cells));
            }
        } while (await reader.NextResultAsync());
        return rows;
    }

    [Fact]
    public async Task Values_parameters_and_several_statements_read_as_with_Microsoft_Data_Sqlite()
    {
        await SetUpAsync();
        const string sql = "SELECT id, n, r, s, b FROM t WHERE id >= @from ORDER BY id; SELECT count(*) AS c, @text AS x, @number AS y FROM t";
        (string, object?)[] parameters = [("@from", 2L), ("@text", "é"), ("@number", 3)];

        await using var expectedConnection = Provider();
        await expectedConnection.OpenAsync();
        await using var actualConnection = Read();
        await actualConnection.OpenAsync();

        var expected = await RowsAsync(expectedConnection, sql, parameters);
        var actual = await RowsAsync(actualConnection, sql, parameters);

        Assert.Equal(3, expected.Count);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Scalars_and_changed_row_counts_are_Microsoft_Data_Sqlite_s()
    {
        await SetUpAsync();
        foreach (var (sql, scalar) in new[]
                 {
                     ("SELECT s FROM t WHERE id = 1", true), ("SELECT s FROM t WHERE id = 99", true), ("PRAGMA journal_mode=WAL;", true),
                     ("UPDATE t SET n = n + 1 WHERE n IS NOT NULL; UPDATE t SET r = 2 WHERE id = 1", false),
                     ("CREATE TABLE IF NOT EXISTS u (x TEXT)", false), ("SELECT 1; DELETE FROM u", false),
                 })
        {
            // Each provider on a copy of the same database.
            var results = new List<string>();
            foreach (var read in new[] { false, true })
            {
                System.IO.File.Copy(File, File + (read ? ".r" : ".p"), overwrite: true);
                await using DbConnection c = read ? new SqliteReadConnection(File + ".r", 30) : new SqliteConnection($"Data Source={File}.p;Pooling=False");
                await c.OpenAsync();
                await using var command = c.CreateCommand();
                command.CommandText = sql;
                results.Add(scalar ? $"{await command.ExecuteScalarAsync() ?? "(null)"}" : $"{await command.ExecuteNonQueryAsync()}");
            }
            Assert.True(results[0] == results[1], $"{sql}: Microsoft.Data.Sqlite {results[0]}, read connection {results[1]}");
        }
    }

    [Fact]
    public async Task A_transaction_commits_and_one_disposed_uncommitted_rolls_back()
    {
        await SetUpAsync();
        await using var c = Read();
        await c.OpenAsync();
        await using (var transaction = await c.BeginTransactionAsync())
        {
            await using var insert = c.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO t (n) VALUES (1)";
            await insert.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }
        await using (var transaction = await c.BeginTransactionAsync())
        {
            await using var delete = c.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM t";
            Assert.Equal(4, await delete.ExecuteNonQueryAsync());
        }

        await using var count = c.CreateCommand();
        count.CommandText = "SELECT count(*) FROM t";
        Assert.Equal(4L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Errors_are_Microsoft_Data_Sqlite_s_exceptions_with_its_messages()
    {
        await SetUpAsync();
        var messages = new List<string>();
        foreach (var read in new[] { false, true })
        {
            await using DbConnection c = read ? Read() : Provider();
            await c.OpenAsync();
            await using var command = c.CreateCommand();
            command.CommandText = "SELECT nope FROM t";
            var e = await Assert.ThrowsAsync<SqliteException>(() => command.ExecuteReaderAsync());
            messages.Add($"{e.SqliteErrorCode}: {e.Message}");
            command.CommandText = "SELECT * FROM t WHERE id = @id AND n = @n";
            var other = command.CreateParameter();
            other.ParameterName = "@n";
            other.Value = 1;
            command.Parameters.Add(other);
            var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => command.ExecuteReaderAsync());
            messages.Add(missing.Message);
        }
        Assert.Equal(messages[0], messages[2]);
        Assert.Equal(messages[1], messages[3]);
        Assert.Contains("no such column: nope", messages[0]);
        Assert.EndsWith(": @id", messages[1]);
    }

    [Fact]
    public async Task A_locked_database_is_waited_for_up_to_the_timeout_then_is_SQLITE_BUSY()
    {
        await SetUpAsync();
        await using var holder = Provider();
        await holder.OpenAsync();
        await using (var lockIt = holder.CreateCommand())
        {
            lockIt.CommandText = "PRAGMA locking_mode=EXCLUSIVE; BEGIN IMMEDIATE; DELETE FROM t WHERE id < 0; COMMIT;";
            await lockIt.ExecuteNonQueryAsync();
        }
        await using var c = Read(timeout: 1);
        await c.OpenAsync();
        await using var command = c.CreateCommand();
        command.CommandText = "SELECT count(*) FROM t";

        var e = await Assert.ThrowsAsync<SqliteException>(() => command.ExecuteScalarAsync());

        Assert.Equal(5, e.SqliteErrorCode);
    }

    [Fact]
    public async Task A_read_waits_for_a_lock_released_within_the_timeout_and_then_answers()
    {
        // The wait itself, without a clock: the lock is let go while the read (30 s timeout) is waiting for it; a read
        // that did not wait would have failed with SQLITE_BUSY at once.
        await SetUpAsync();
        await using var holder = Provider();
        await holder.OpenAsync();
        await using var lockIt = holder.CreateCommand();
        lockIt.CommandText = "PRAGMA locking_mode=EXCLUSIVE; BEGIN IMMEDIATE; DELETE FROM t WHERE id < 0; COMMIT;";
        await lockIt.ExecuteNonQueryAsync();
        var reading = false;
        var read = Task.Run(async () =>
        {
            await using var c = Read();
            await c.OpenAsync();
            await using var command = c.CreateCommand();
            command.CommandText = "SELECT count(*) FROM t";
            Volatile.Write(ref reading, true);
            return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        });
        await Waiting.UntilAsync(() => Volatile.Read(ref reading) || read.IsCompleted, "the read to start");

        // The exclusive lock of a WAL database goes with the holder's connection (closed, out of the pool).
        await lockIt.DisposeAsync();
        await holder.CloseAsync();
        SqliteConnection.ClearPool(holder);
        await using var counter = Provider();
        await counter.OpenAsync();
        await using var counting = counter.CreateCommand();
        counting.CommandText = "SELECT count(*) FROM t;";
        var count = Convert.ToInt64(await counting.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(count, await read);
        Assert.True(count > 0);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
