using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Profiler.Domain;
using Profiler.Storage;
using SQLitePCL;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// SQLite's write path: prepared INSERTs of <see cref="RowsPerStatement"/> rows (and one for the rest of the batch),
/// inside one <c>BEGIN IMMEDIATE</c> transaction per batch. SQLite is in-process, so the cost is in the calls
/// themselves: the statements are driven through SQLitePCLRaw directly, values bound as UTF-8 spans from reused
/// buffers (no parameter objects, no data reader per execution). The rows are those parameterised
/// <see cref="SqliteCommand"/>s would write: the same text values, in the same order (ids follow the batch).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001",
    Justification = "One writer a thread for the process's life (its buffers reused across batches); nothing to release early.")]
internal sealed class SqliteRowWriter
{
    /// <summary>
    /// Rows one INSERT carries (9 values each, far below SQLite's 32766). Fewer statement executions, and the
    /// <c>AUTOINCREMENT</c> counter in <c>sqlite_sequence</c> is updated once a statement, not once a row.
    /// Measured (300,000 points, batches of 1000): 1 row 2.6 s of user CPU, 10 rows 2.0 s, 50 rows 2.0–2.2 s.
    /// </summary>
    internal const int RowsPerStatement = 50;

    private static readonly string FullInsert = InsertOf(RowsPerStatement);

    // The UTF-8 of one text value, of one point's info (the JSON writer's target), and of its data column.
    private readonly ArrayBufferWriter<byte> _text = new(1024);
    private readonly ArrayBufferWriter<byte> _info = new(1024);
    private readonly ArrayBufferWriter<byte> _data = new(1024);
    private readonly Utf8JsonWriter _json;

    private SqliteRowWriter() => _json = new Utf8JsonWriter(_info);

    [ThreadStatic] private static SqliteRowWriter? _cached;

    /// <summary>
    /// Inserts the points <paramref name="claim"/> returns in one transaction (all or none), filling project, host and
    /// service from <paramref name="settings"/> as <see cref="DataColumns"/> does for every server. Failures surface as
    /// <see cref="SqliteException"/>; a cancelled write rolls back.
    /// </summary>
    /// <param name="connection">An open connection, outside any transaction.</param>
    /// <param name="claim">Called first inside the transaction: records the batch ids (<see cref="SqlBatchLog"/>) and
    /// returns the points of the batches not stored before (exactly once).</param>
    /// <param name="settings">The store's settings.</param>
    /// <param name="summaries">Whether the search summaries are written too (<see cref="TraceSummaries.Available"/>:
    /// false when their tables could not be created, and the points are then stored without them, as on MySQL and
    /// PostgreSQL).</param>
    /// <param name="cancellationToken">Checked between statements.</param>
    public static void Write(SqliteConnection connection, Func<IReadOnlyList<TracePoint>> claim, DriverSettings settings,
        bool summaries, CancellationToken cancellationToken)
    {
        // One writer a thread, so that its buffers stay warm across batches; taken while in use.
        var writer = _cached ?? new SqliteRowWriter();
        _cached = null;
        try
        {
            writer.WriteRows(connection, claim, settings, summaries, cancellationToken);
        }
        finally
        {
            // An outsized point grew the buffers: such a writer is dropped rather than kept for the thread.
            if (writer._text.Capacity <= 1 << 20 && writer._info.Capacity <= 1 << 20 && writer._data.Capacity <= 1 << 20)
                _cached = writer;
        }
    }

    private static string InsertOf(int rows)
    {
        var sql = new StringBuilder(64 + rows * 20).Append("INSERT INTO data (").Append(DataColumns.Names).Append(") VALUES ");
        for (var r = 0; r < rows; r++) sql.Append(r == 0 ? "" : ",").Append("(?,?,?,?,?,?,?,?,?)");
        return sql.ToString();
    }

    private void WriteRows(SqliteConnection connection, Func<IReadOnlyList<TracePoint>> claim, DriverSettings settings,
        bool summaries, CancellationToken cancellationToken)
    {
        // BeginTransaction() is BEGIN IMMEDIATE: the write lock is taken here (waiting for it up to the connection's
        // timeout, as any command would), so the inserts below do not meet SQLITE_BUSY.
        using var transaction = connection.BeginTransaction();
        var points = claim();
        var db = connection.Handle!;
        var done = 0;
        while (done < points.Count)
        {
            var rows = Math.Min(RowsPerStatement, points.Count - done);
            Check(raw.sqlite3_prepare_v2(db, rows == RowsPerStatement ? FullInsert : InsertOf(rows), out var statement), db);
            using (statement)
            {
                for (; points.Count - done >= rows; done += rows)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    for (var r = 0; r < rows; r++) BindRow(statement, db, r * DataColumns.Count, points[done + r], settings);
                    var rc = raw.sqlite3_step(statement);
                    raw.sqlite3_reset(statement);
                    if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, db);
                }
            }
        }
        if (summaries) SqliteSummaryWriter.Write(connection, TraceDigest.OfBatch(points, settings));
        transaction.Commit();
    }

    /// <summary>Binds one point's nine values from parameter <paramref name="at"/> + 1 on, in the order of <see cref="DataColumns.Names"/>.</summary>
    private void BindRow(sqlite3_stmt statement, sqlite3 db, int at, TracePoint p, DriverSettings settings)
    {
        Bind(statement, db, at + 1, p.Timestamp);
        Bind(statement, db, at + 2, p.BaseId);
        Bind(statement, db, at + 3, p.ParentId);
        Bind(statement, db, at + 4, p.TraceId);
        Bind(statement, db, at + 5, DataColumns.Project(p, settings));
        Bind(statement, db, at + 6, DataColumns.Host(p, settings));
        Bind(statement, db, at + 7, DataColumns.Service(p, settings));
        Bind(statement, db, at + 8, p.Name);
        _data.ResetWrittenCount();
        OsProfilerData.Encode(p, _json, _info, _data);
        Check(raw.sqlite3_bind_text(statement, at + 9, _data.WrittenSpan), db);
    }

    /// <summary>
    /// Binds text (SQLite copies it: SQLITE_TRANSIENT) or NULL; the UTF-8 goes through one reused buffer. The empty
    /// string goes as a string: an empty span would pin as a null pointer, which SQLite binds as NULL.
    /// </summary>
    private void Bind(sqlite3_stmt statement, sqlite3 db, int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(statement, index), db);
            return;
        }
        if (value.Length == 0)
        {
            Check(raw.sqlite3_bind_text(statement, index, string.Empty), db);
            return;
        }
        var buffer = _text.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
        Check(raw.sqlite3_bind_text(statement, index, buffer[..Encoding.UTF8.GetBytes(value, buffer)]), db);
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, db);
    }
}
