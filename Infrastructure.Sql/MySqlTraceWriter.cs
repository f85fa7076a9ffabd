using System.Buffers;
using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Numerics;
using System.Text;
using System.Text.Json;
using MySqlConnector;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// MySQL/MariaDB's write path: server-side prepared multi-row INSERTs (binary protocol: the server parses each
/// statement once a connection, not every row's text, and the values travel unescaped), of a power-of-two number of
/// rows up to <see cref="MaxRowsPerInsert"/> and about <see cref="MaxInsertBytes"/> bytes of values, positional
/// parameters (no names to look up). The values are encoded to UTF-8 once, into one buffer a batch
/// (<see cref="EncodedRows"/>), and bound as slices of it; the commands and their parameters are made once and reused.
/// A batch runs its INSERTs in one transaction that ends by recording the batch id (<see cref="SqlBatchLog"/>: exactly
/// once) and merging the batch's search summaries (<see cref="TraceSummaries"/>), those two in one round trip; at most
/// <see cref="MaxConcurrentBatches"/> batches of a store are written at once.
/// Points the table cannot hold (<see cref="PointRefusals"/>) are left out and refused, the others stored.
/// </summary>
/// <remarks>
/// The writer's connections come from a pool of their own that keeps a connection's session between batches
/// (<see cref="MySqlDialect.WriterConnectionString"/>: no reset on reuse), so that the statements prepared on a
/// connection stay prepared: at most <c>log2(MaxRowsPerInsert) + 1</c> of them a connection. A batch that fails leaves
/// nothing behind (its transaction is rolled back); when its connection broke, the pool's idle connections are dropped
/// too (not being reset on reuse, a broken one would otherwise only show by failing a batch).
/// </remarks>
internal sealed class MySqlTraceWriter(SqlDatabase database) : ITraceWriter
{
    private readonly SqlBatchLog _batches = new(database);

    /// <summary>Most rows one INSERT binds (9 values each: well below the protocol's 65,535 parameters).</summary>
    internal const int MaxRowsPerInsert = 1024;

    /// <summary>Stays well below the smallest default <c>max_allowed_packet</c> (4 MiB on MySQL 5.7).</summary>
    internal const long MaxInsertBytes = 2L * 1024 * 1024;

    /// <summary>Largest row buffer kept for the next batch (<see cref="EncodedRows"/>).</summary>
    private const int MaxKeptBufferBytes = 8 * 1024 * 1024;

    /// <summary>The INSERT of 2^k rows, at index k.</summary>
    private static readonly string[] InsertSql = BuildInserts();

    /// <summary>Idle INSERT commands of 2^k rows, at index k, their parameters made (a batch takes, fills and returns them).</summary>
    private readonly ConcurrentBag<MySqlCommand>[] _inserts = [.. InsertSql.Select(_ => new ConcurrentBag<MySqlCommand>())];

    /// <summary>Idle row buffers (one a batch being written; their capacity kept between batches).</summary>
    private readonly ConcurrentBag<EncodedRows> _buffers = [];

    private static string[] BuildInserts()
    {
        var result = new string[BitOperations.Log2(MaxRowsPerInsert) + 1];
        for (var k = 0; k < result.Length; k++)
        {
            var rows = 1 << k;
            var sql = new StringBuilder(64 + rows * 20).Append("INSERT INTO data (").Append(DataColumns.Names).Append(") VALUES ");
            for (var i = 0; i < rows; i++) sql.Append(i == 0 ? "(?,?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?,?)");
            result[k] = sql.ToString();
        }
        return result;
    }

    /// <summary>
    /// Most batches one store writes at once; the others wait their turn (encoded and summarised already). InnoDB
    /// inserts from more concurrent transactions into one table contend for the same index pages (the table's right
    /// edge: the id, the timestamp, a service's, host's and project's entries) and spend the server's CPU on waiting
    /// for them rather than on rows. Measured with bench ingest's 4 writers on a 2-core machine (busy), the server's CPU
    /// a point: 1 at a time 18.1-18.3 us, 2 20.3-21.8 us, 3 22.2-24.9 us, 4 23-24 us. One alone leaves a core idle
    /// (one server thread inserts while the commit's flush waits); two keep one batch inserting while another commits.
    /// </summary>
    internal const int MaxConcurrentBatches = 2;

    private readonly SemaphoreSlim _turns = new(MaxConcurrentBatches, MaxConcurrentBatches);

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        // The batch's values and summaries are made before its turn: that CPU work overlaps the other batches' writes.
        var settings = database.Settings;
        if (!_buffers.TryTake(out var rows)) rows = new EncodedRows();
        try
        {
            rows.Encode(points, settings);
            var digests = Profiler.Storage.TraceDigest.OfBatch(points, settings);
            await _turns.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await WriteInTurnAsync(points, batchId, rows, digests, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _turns.Release();
            }
        }
        finally
        {
            // Kept for the next batch unless a batch of large points made it large.
            if (rows.Capacity <= MaxKeptBufferBytes) _buffers.Add(rows);
        }
    }

    /// <summary>
    /// <see cref="WriteAsync"/>, one of at most <see cref="MaxConcurrentBatches"/> at once, the batch encoded
    /// (<paramref name="rows"/>) and summarised (<paramref name="digests"/>, of all its points) already.
    /// </summary>
    private async Task WriteInTurnAsync(IReadOnlyList<TracePoint> points, Guid batchId, EncodedRows rows,
        IReadOnlyList<Profiler.Storage.TraceDigest> digests, CancellationToken cancellationToken)
    {
        await using var db = await database.OpenAsync(cancellationToken, forWriting: true).ConfigureAwait(false);
        var connection = (MySqlConnection)db.Database.GetDbConnection();
        await _batches.EnsureTableAsync(connection, cancellationToken).ConfigureAwait(false);
        var settings = database.Settings;
        PointRefusals.Written written;
        try
        {
            // The summaries (TraceSummaries) are written in the same transaction as the rows and the batch id.
            var summaries = database.Summaries.Available;
            written = await PointRefusals.WriteAsync(points.Count,
                async token => await connection.BeginTransactionAsync(token).ConfigureAwait(false),
                (transaction, subset, token) => InsertAsync(connection, (MySqlTransaction)transaction, rows, subset, token),
                async (transaction, refused, token) =>
                {
                    // Exactly once: the batch id, in the same transaction, sent with the summaries in one round trip;
                    // already there means already stored (the rollback is the dispose).
                    var stored = refused is null ? points : PointRefusals.Accepted(points, refused);
                    await using (var command = connection.CreateCommand())
                    {
                        command.Transaction = (MySqlTransaction)transaction;
                        SqlBatchLog.StartMySqlClaim(command, batchId);
                        if (summaries && stored.Count > 0)
                            TraceSummaries.AppendMerge(command,
                                refused is null ? digests : Profiler.Storage.TraceDigest.OfBatch(stored, settings));
                        try
                        {
                            await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                        }
                        catch (MySqlException e) when (SqlBatchLog.IsClaimedBefore(e))
                        {
                            return false;
                        }
                        catch (MySqlException e) when (_batches.ClaimFailure(e) is { } failure)
                        {
                            throw failure;
                        }
                    }
                    await transaction.CommitAsync(token).ConfigureAwait(false);
                    return true;
                }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            // A broken connection (the server restarted, say): the pool's other idle ones, never reset on reuse here,
            // are most likely broken too. Dropping them makes the retry connect afresh instead of failing on each.
            if (connection.State != ConnectionState.Open) await MySqlConnection.ClearPoolAsync(connection, CancellationToken.None).ConfigureAwait(false);
            throw database.Failure(SqlOperation.Write, e);
        }
        if (written.Stored) await _batches.PruneIfDueAsync(connection, cancellationToken).ConfigureAwait(false);
        written.ThrowIfRefused(database, points);
    }

    /// <summary>
    /// Inserts the rows of <paramref name="rows"/> (all of them, or those at the positions <paramref name="subset"/>
    /// lists, in that order) by <see cref="SplitInserts"/>.
    /// </summary>
    private async Task InsertAsync(MySqlConnection connection, MySqlTransaction transaction, EncodedRows rows,
        IReadOnlyList<int>? subset, CancellationToken cancellationToken)
    {
        var count = subset?.Count ?? rows.Count;
        foreach (var (offset, n) in SplitInserts(count, i => rows.RowBytes(subset?[i] ?? i)))
        {
            var k = BitOperations.Log2((uint)n);
            if (!_inserts[k].TryTake(out var command)) command = NewInsert(k);
            command.Connection = connection;
            command.Transaction = transaction;
            // Prepared once a connection (MySqlConnector keeps it by its text); later batches only execute it.
            var prepared = await PrepareAsync(command, cancellationToken).ConfigureAwait(false);
            var parameters = command.Parameters;
            for (var r = 0; r < n; r++)
            {
                var row = subset?[offset + r] ?? offset + r;
                for (var c = 0; c < DataColumns.Count; c++)
                    parameters[r * DataColumns.Count + c].Value = prepared ? rows.Value(row, c) : rows.Text(row, c);
            }
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            // Back to the idle ones only after it succeeded, its values (slices of the batch's buffer) let go.
            for (var i = 0; i < parameters.Count; i++) parameters[i].Value = null;
            command.Connection = null;
            command.Transaction = null;
            _inserts[k].Add(command);
        }
    }

    /// <summary>
    /// The INSERT of 2^<paramref name="k"/> rows with its positional parameters, their type set once: text
    /// (<c>VAR_STRING</c>), bound as UTF-8 bytes (<see cref="EncodedRows.Value"/>). MySqlConnector infers no type
    /// from such a value, so it neither searches its type table per value nor transcodes it.
    /// </summary>
    private static MySqlCommand NewInsert(int k)
    {
        var command = new MySqlCommand(InsertSql[k]);
        var count = DataColumns.Count << k;
        for (var i = 0; i < count; i++) command.Parameters.Add(new MySqlParameter { MySqlDbType = MySqlDbType.VarChar });
        return command;
    }

    /// <summary>
    /// Prepares <paramref name="command"/> on its connection unless it is already; false when the server's prepared
    /// statements are all taken (<c>max_prepared_stmt_count</c>, shared by all its clients). The rows still go in:
    /// the command then runs unprepared, its values sent as SQL text, bound as strings (<see cref="EncodedRows.Text"/>:
    /// MySqlConnector would send bytes as a <c>_binary</c> literal, which MySQL's JSON column refuses).
    /// </summary>
    private static async Task<bool> PrepareAsync(MySqlCommand command, CancellationToken cancellationToken)
    {
        try
        {
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.MaxPreparedStatementCountReached)
        {
            return false;
        }
    }

    /// <summary>
    /// Cuts <paramref name="count"/> rows (<paramref name="rowBytes"/>: what row i takes in an INSERT) into INSERTs of
    /// a power-of-two number of rows, at most <see cref="MaxRowsPerInsert"/> and about <see cref="MaxInsertBytes"/>
    /// bytes (a larger row goes alone), largest first.
    /// </summary>
    internal static List<(int Offset, int Count)> SplitInserts(int count, Func<int, long> rowBytes)
    {
        var result = new List<(int, int)>();
        var start = 0;
        while (start < count)
        {
            var fit = 0;
            long bytes = 0;
            while (start + fit < count && fit < MaxRowsPerInsert)
            {
                var size = rowBytes(start + fit);
                if (fit > 0 && bytes + size > MaxInsertBytes) break;
                bytes += size;
                fit++;
            }
            var n = 1 << BitOperations.Log2((uint)fit);
            result.Add((start, n));
            start += n;
        }
        return result;
    }

    public ValueTask DisposeAsync()
    {
        _turns.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// A batch's rows as the INSERTs bind them: every value of every row (<see cref="DataColumns.Names"/>'s order)
    /// encoded to UTF-8 once, into one buffer kept from batch to batch, the <c>data</c> column straight from
    /// <see cref="OsProfilerData.Encode(TracePoint, Utf8JsonWriter, ArrayBufferWriter{byte}, IBufferWriter{byte})"/>.
    /// </summary>
    internal sealed class EncodedRows
    {
        private readonly ArrayBufferWriter<byte> _bytes = new(64 * 1024);
        private readonly ArrayBufferWriter<byte> _info = new(512);

        /// <summary>Start and length in <see cref="_bytes"/> of value c of row i, at <c>2 * (9 i + c)</c>; length -1 for NULL.</summary>
        private int[] _spans = new int[2 * DataColumns.Count * 1024];

        /// <summary>Rows encoded.</summary>
        public int Count { get; private set; }

        /// <summary>Encodes <paramref name="points"/>, replacing the rows held.</summary>
        public void Encode(IReadOnlyList<TracePoint> points, DriverSettings settings)
        {
            _bytes.ResetWrittenCount();
            Count = points.Count;
            var needed = 2 * DataColumns.Count * points.Count;
            if (_spans.Length < needed) _spans = new int[needed];
            using var json = new Utf8JsonWriter(_info);
            var at = 0;
            foreach (var p in points)
            {
                Put(ref at, p.Timestamp);
                Put(ref at, p.BaseId);
                Put(ref at, p.ParentId);
                Put(ref at, p.TraceId);
                Put(ref at, DataColumns.Project(p, settings));
                Put(ref at, DataColumns.Host(p, settings));
                Put(ref at, DataColumns.Service(p, settings));
                Put(ref at, p.Name);
                var start = _bytes.WrittenCount;
                OsProfilerData.Encode(p, json, _info, _bytes);
                _spans[at++] = start;
                _spans[at++] = _bytes.WrittenCount - start;
            }
        }

        private void Put(ref int at, string? value)
        {
            _spans[at++] = _bytes.WrittenCount;
            if (value is null)
            {
                _spans[at++] = -1;
                return;
            }
            var written = Encoding.UTF8.GetBytes(value, _bytes.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length)));
            _bytes.Advance(written);
            _spans[at++] = written;
        }

        /// <summary>Value <paramref name="column"/> of row <paramref name="row"/>: its UTF-8 bytes, or <see cref="DBNull"/>.</summary>
        public object Value(int row, int column)
        {
            var at = 2 * (row * DataColumns.Count + column);
            var length = _spans[at + 1];
            return length < 0 ? DBNull.Value : _bytes.WrittenMemory.Slice(_spans[at], length);
        }

        /// <summary><see cref="Value"/> as a string (the unprepared fallback's binding), or <see cref="DBNull"/>.</summary>
        public object Text(int row, int column)
        {
            var at = 2 * (row * DataColumns.Count + column);
            var length = _spans[at + 1];
            return length < 0 ? DBNull.Value : Encoding.UTF8.GetString(_bytes.WrittenSpan.Slice(_spans[at], length));
        }

        /// <summary>Bytes the buffer holds room for (a batch of large points leaves it large).</summary>
        public int Capacity => _bytes.Capacity;

        /// <summary>Upper bound of what row <paramref name="row"/> takes in an INSERT: its values' bytes, with their length prefixes.</summary>
        public long RowBytes(int row)
        {
            long bytes = 64;
            for (var c = 0; c < DataColumns.Count; c++) bytes += Math.Max(0, _spans[2 * (row * DataColumns.Count + c) + 1]);
            return bytes;
        }
    }
}
