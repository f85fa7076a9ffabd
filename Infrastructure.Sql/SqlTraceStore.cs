using System.Buffers;
using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging;
using Profiler.Storage;
using Profiler.Domain;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// OSProfiler's SQL collector (COMPAT §3) over one EF Core model: the model creates the table and its indexes
/// when missing; writes are multi-row INSERTs in one transaction; reads stream through a data reader.
/// </summary>
public sealed class SqlTraceStore : ITraceStore, ITraceStoreCleanup
{
    private const string Columns = "timestamp, base_id, parent_id, trace_id, project, host, service, name, data";
    private static readonly JsonSerializerOptions StringEncoding = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly SqlDialect _dialect;
    private readonly ConnectionString _connectionString;
    private readonly DriverSettings _settings;
    private readonly DbContextOptions<TraceDbContext> _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _initialized;

    public SqlTraceStore(SqlDialect dialect, ConnectionString connectionString, DriverSettings settings)
    {
        _dialect = dialect;
        _connectionString = connectionString;
        _settings = settings;
        _logger = settings.LoggerFactory.CreateLogger<SqlTraceStore>();
        var builder = new DbContextOptionsBuilder<TraceDbContext>();
        dialect.Configure(builder, connectionString);
        builder.ReplaceService<IModelCacheKeyFactory, DialectModelCacheKeyFactory>();
        _options = builder.Options;
    }

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, CancellationToken cancellationToken)
    {
        if (points.Count == 0) return;
        if (_dialect.GroupsCommits)
        {
            await WriteGroupedAsync(new PendingWrite(points), cancellationToken).ConfigureAwait(false);
            return;
        }
        await using var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = db.Database.GetDbConnection();
        var data = new string[points.Count];
        var info = new ArrayBufferWriter<byte>(512);
        var encoded = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(info))
        {
            for (var i = 0; i < data.Length; i++)
            {
                encoded.ResetWrittenCount();
                EncodeData(points[i], json, info, encoded);
                data[i] = Encoding.UTF8.GetString(encoded.WrittenSpan);
            }
        }
        if (_dialect.HasBulkInsert)
        {
            try
            {
                var rows = new string?[points.Count][];
                for (var i = 0; i < rows.Length; i++)
                {
                    var p = points[i];
                    rows[i] = [p.Timestamp, p.BaseId, p.ParentId, p.TraceId, p.Project ?? _settings.Project, _settings.Host ?? p.Host,
                        p.Service ?? _settings.Service, p.Name, data[i]];
                }
                if (await _dialect.TryBulkInsertAsync(connection, Columns, rows, cancellationToken).ConfigureAwait(false)) return;
            }
            catch (DbException e)
            {
                throw Failure(SqlOperation.Write, e);
            }
        }
        var statements = SplitInserts(points, data);
        try
        {
            // One statement is atomic by itself: a batch that fits one INSERT is one round trip.
            await using var transaction = statements.Count > 1
                ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false)
                : null;
            foreach (var (offset, count) in statements)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                var sql = new StringBuilder(64 + count * 90).Append("INSERT INTO data (").Append(Columns).Append(") VALUES ");
                for (var i = 0; i < count; i++)
                {
                    var p = points[offset + i];
                    if (i > 0) sql.Append(',');
                    sql.Append('(');
                    AddValue(command, sql, p.Timestamp);
                    foreach (var value in (ReadOnlySpan<string?>)[p.BaseId, p.ParentId, p.TraceId, p.Project ?? _settings.Project,
                                 _settings.Host ?? p.Host, p.Service ?? _settings.Service, p.Name])
                        AddValue(command, sql.Append(','), value);
                    sql.Append(',');
                    var placeholder = sql.Length;
                    AddValue(command, sql, data[offset + i]);
                    var name = sql.ToString(placeholder, sql.Length - placeholder);
                    sql.Length = placeholder;
                    sql.Append(_dialect.JsonValue(name)).Append(')');
                }
                command.CommandText = sql.ToString();
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            if (transaction is not null) await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw Failure(SqlOperation.Write, e);
        }
    }

    /// <summary>A batch waiting to be written by <see cref="WriteGroupedAsync"/>; done when its rows are committed.</summary>
    private sealed class PendingWrite(IReadOnlyList<TracePoint> points)
    {
        public IReadOnlyList<TracePoint> Points { get; } = points;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Lock _pendingLock = new();
    private List<PendingWrite> _pending = [];
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    /// <summary>
    /// Group commit, for an embedded database with one writer at a time: a batch joins the queue; whoever holds the
    /// write gate commits everything queued in one transaction and completes each batch's call. Each call still returns
    /// only once its rows are committed, and a batch is never split. Concurrent writers then share one commit (one set
    /// of rewritten index pages in the WAL) instead of queueing on SQLite's lock. When a shared commit fails, each batch
    /// of it is retried alone, so that a bad batch fails by itself.
    /// </summary>
    private async Task WriteGroupedAsync(PendingWrite write, CancellationToken cancellationToken)
    {
        lock (_pendingLock) _pending.Add(write);
        try
        {
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            bool removed;
            lock (_pendingLock) removed = _pending.Remove(write);
            if (removed) throw;
            // Already taken by a commit in progress: its outcome is this call's.
            await write.Done.Task.ConfigureAwait(false);
            return;
        }
        try
        {
            if (!write.Done.Task.IsCompleted)
            {
                List<PendingWrite> group;
                lock (_pendingLock)
                {
                    group = _pending;
                    _pending = [];
                }
                await CommitGroupAsync(group, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeGate.Release();
        }
        await write.Done.Task.ConfigureAwait(false);
    }

    private async Task CommitGroupAsync(List<PendingWrite> group, CancellationToken leaderToken)
    {
        // The caller who commits may cancel only its own batch: a shared commit runs to its end.
        var cancellationToken = group.Count == 1 ? leaderToken : CancellationToken.None;
        try
        {
            await using var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
            var connection = db.Database.GetDbConnection();
            try
            {
                InsertGroup(connection, group, cancellationToken);
                foreach (var w in group) w.Done.TrySetResult();
                await _dialect.AfterCommitAsync(group.Sum(w => w.Points.Count)).ConfigureAwait(false);
                return;
            }
            catch (Exception) when (group.Count > 1)
            {
                // Nothing of the shared transaction was kept: each batch on its own, to fail alone.
            }
            foreach (var w in group)
            {
                try
                {
                    InsertGroup(connection, [w], cancellationToken);
                    w.Done.TrySetResult();
                }
                catch (Exception e)
                {
                    w.Done.TrySetException(e);
                }
            }
        }
        catch (Exception e)
        {
            foreach (var w in group) w.Done.TrySetException(e);
        }
    }

    /// <summary>Writes the batches of a group in one transaction through <see cref="SqliteRowWriter"/>, all or none.</summary>
    private void InsertGroup(DbConnection connection, IReadOnlyList<PendingWrite> group, CancellationToken cancellationToken)
    {
        IReadOnlyList<TracePoint> points = group.Count == 1 ? group[0].Points : group.SelectMany(w => w.Points).ToList();
        try
        {
            // SQLite runs in this process: its calls complete synchronously, so there is nothing to await.
            SqliteRowWriter.Write((SqliteConnection)connection, points, _settings, cancellationToken);
        }
        catch (DbException e)
        {
            throw Failure(SqlOperation.Write, e);
        }
    }

    /// <summary>Splits a batch into INSERTs of at most <see cref="SqlDialect.RowsPerInsert"/> rows and about <see cref="SqlDialect.MaxInsertBytes"/> bytes.</summary>
    private List<(int Offset, int Count)> SplitInserts(IReadOnlyList<TracePoint> points, string[] data)
    {
        var result = new List<(int, int)>();
        int start = 0, rows = 0;
        long bytes = 0;
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            // Upper bound of what the row takes in the statement: every value escaped, plus some syntax.
            var size = 128L + 2L * ((p.BaseId?.Length ?? 0) + (p.ParentId?.Length ?? 0) + (p.TraceId?.Length ?? 0) + (p.Name?.Length ?? 0)
                                    + (p.Project?.Length ?? 0) + (p.Service?.Length ?? 0) + (p.Host?.Length ?? 0) + data[i].Length);
            if (rows > 0 && (rows == _dialect.RowsPerInsert || bytes + size > _dialect.MaxInsertBytes))
            {
                result.Add((start, rows));
                start = i;
                rows = 0;
                bytes = 0;
            }
            rows++;
            bytes += size;
        }
        result.Add((start, rows));
        return result;
    }

    /// <summary>Binds a value and appends its placeholder: <c>$n</c> where the dialect binds by position, else <c>@pn</c>.</summary>
    private void AddValue(DbCommand command, StringBuilder sql, string? value)
    {
        var p = command.CreateParameter();
        p.DbType = DbType.String;
        p.Value = (object?)value ?? DBNull.Value;
        var n = command.Parameters.Count;
        if (_dialect.PositionalParameters) sql.Append('$').Append(n + 1);
        else
        {
            p.ParameterName = "@p" + n;
            sql.Append("@p").Append(n);
        }
        command.Parameters.Add(p);
    }

    public async IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = $"SELECT name, trace_id, parent_id, timestamp, project, service, host, {_dialect.DataAsText} FROM data WHERE base_id = @base_id ORDER BY id";
        AddNamed(command, "@base_id", baseId);
        DbDataReader reader;
        try
        {
            reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw Failure(SqlOperation.Read, e);
        }
        var pool = new StringPool(); // texts repeated across the trace's rows held once
        await using (reader)
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string? Get(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
                string? name = Get(0), traceId = Get(1), parentId = Get(2), timestamp = Get(3), project = Get(4),
                    service = Get(5), host = Get(6), data = Get(7);
                var decoded = DecodeData(data);
                yield return decoded is null
                    ? StoredPoint.Unreadable($"column 'data' of point '{TracePointRules.Show(traceId)}' is not JSON")
                    : StoredPoint.FromColumns(name, traceId, parentId, timestamp, project, service, host, decoded, pool);
            }
        }
    }

    public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) =>
        ListAsync(query, query.ErrorsOnly, cancellationToken);

    private async Task<TracePage> ListAsync(TraceListQuery query, bool errorsOnly, CancellationToken cancellationToken)
    {
        var (cursorTimestamp, cursorId) = ParseCursor(query.Cursor);
        await using var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = db.Database.GetDbConnection();
        var page = new List<(string BaseId, string Timestamp)>();
        try
        {
            await using (var command = connection.CreateCommand())
            {
                // Groups on the indexed base_id; an error trace is one with a stop point whose data has info.etype.
                // A row without a base id (damaged, or written by hand) belongs to no trace.
                var sql = new StringBuilder("SELECT base_id, MIN(timestamp) AS ts FROM data WHERE base_id IS NOT NULL");
                if (errorsOnly)
                {
                    // The key "etype" in either storage form: double-encoded (\"etype\":, as OSProfiler writes) or a plain object
                    // ("etype":). Bound as parameters with '!' as the LIKE escape, so no server reads the backslash as one.
                    sql.Append($" AND base_id IN (SELECT base_id FROM data WHERE name LIKE '%-stop' AND ({_dialect.DataAsText} LIKE @etype1 ESCAPE '!' OR {_dialect.DataAsText} LIKE @etype2 ESCAPE '!'))");
                    AddNamed(command, "@etype1", "%\\\"etype\\\":%");
                    AddNamed(command, "@etype2", "%\"etype\":%");
                }
                sql.Append(" GROUP BY base_id");
                if (cursorTimestamp is not null)
                {
                    sql.Append(" HAVING MIN(timestamp) < @cts OR (MIN(timestamp) = @cts AND base_id < @cid)");
                    AddNamed(command, "@cts", cursorTimestamp);
                    AddNamed(command, "@cid", cursorId);
                }
                sql.Append(" ORDER BY ts DESC, base_id DESC LIMIT @limit");
                var limit = command.CreateParameter();
                limit.ParameterName = "@limit";
                limit.Value = query.Limit + 1;
                command.Parameters.Add(limit);
                command.CommandText = sql.ToString();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    page.Add((reader.GetString(0), reader.IsDBNull(1) ? "" : reader.GetString(1)));
            }
            string? next = null;
            if (page.Count > query.Limit)
            {
                page.RemoveAt(page.Count - 1);
                next = $"{page[^1].Timestamp}|{page[^1].BaseId}";
            }
            var extra = query.Fields.Where(f => f is not ("base_id" or "timestamp")).Distinct().ToList();
            var fields = extra.Count > 0
                ? await EarliestPointsAsync(connection, page.Select(p => p.BaseId).ToList(), cancellationToken).ConfigureAwait(false)
                : null;
            var traces = page.Select(p =>
            {
                var values = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var f in query.Fields)
                    values[f] = f switch
                    {
                        "base_id" => p.BaseId,
                        "timestamp" => p.Timestamp,
                        _ => fields is not null && fields.TryGetValue(p.BaseId, out var row) ? row.GetValueOrDefault(f) : null,
                    };
                return new TraceSummary(p.BaseId, p.Timestamp, values);
            }).ToList();
            return new TracePage(traces, next);
        }
        catch (DbException e)
        {
            throw Failure(SqlOperation.Read, e);
        }
    }

    private static async Task<Dictionary<string, Dictionary<string, string?>>> EarliestPointsAsync(
        DbConnection connection, List<string> baseIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, Dictionary<string, string?>>(StringComparer.Ordinal);
        string[] names = ["base_id", "timestamp", "name", "trace_id", "parent_id", "project", "service", "host"];
        foreach (var chunk in baseIds.Chunk(500))
        {
            await using var command = connection.CreateCommand();
            var inList = string.Join(",", chunk.Select((id, i) =>
            {
                AddNamed(command, $"@b{i}", id);
                return $"@b{i}";
            }));
            command.CommandText =
                $"SELECT d.base_id, d.timestamp, d.name, d.trace_id, d.parent_id, d.project, d.service, d.host FROM data d " +
                $"JOIN (SELECT base_id, MIN(timestamp) AS ts FROM data WHERE base_id IN ({inList}) GROUP BY base_id) m " +
                "ON d.base_id = m.base_id AND d.timestamp = m.ts ORDER BY d.id";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetString(0);
                if (result.ContainsKey(id)) continue;
                var row = new Dictionary<string, string?>(StringComparer.Ordinal);
                for (var i = 0; i < names.Length; i++) row[names[i]] = reader.IsDBNull(i) ? null : reader.GetString(i);
                result[id] = row;
            }
        }
        return result;
    }

    private static (string? Timestamp, string? BaseId) ParseCursor(string? cursor)
    {
        if (cursor is null) return (null, null);
        var bar = cursor.IndexOf('|');
        if (bar < 0) throw new FormatException($"cursor '{TracePointRules.Show(cursor)}' is not one this store gave out");
        return (cursor[..bar], cursor[(bar + 1)..]);
    }

    /// <summary>OSProfiler stores <c>data</c> double-encoded: a JSON string whose text is the JSON object.</summary>
    internal static string EncodeData(TracePoint point)
    {
        var info = new ArrayBufferWriter<byte>(512);
        using var json = new Utf8JsonWriter(info);
        var output = new ArrayBufferWriter<byte>(1024);
        EncodeData(point, json, info, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>
    /// Appends the UTF-8 of <see cref="EncodeData(TracePoint)"/> to <paramref name="output"/> in one pass:
    /// <c>info</c> is written once through <paramref name="json"/> (into <paramref name="info"/>, reset here), then
    /// quoted. The bytes are those of the two-step form, <c>Serialize("{\"info\": " + InfoJson(point) + "}")</c> with
    /// relaxed escaping: the writer's default encoder leaves only printable ASCII in <c>info</c>'s text, where that
    /// escaping touches just <c>"</c> and <c>\</c>. Any other byte takes the two-step form itself.
    /// </summary>
    internal static void EncodeData(TracePoint point, Utf8JsonWriter json, ArrayBufferWriter<byte> info, IBufferWriter<byte> output)
    {
        info.ResetWrittenCount();
        json.Reset(info);
        if (point.Info is null)
        {
            json.WriteStartObject();
            json.WriteEndObject();
        }
        else point.Info.WriteTo(json);
        json.Flush();
        var text = info.WrittenSpan;
        if (text.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0)
        {
            var inner = "{\"info\": " + Encoding.UTF8.GetString(text) + "}";
            var quoted = JsonSerializer.Serialize(inner, StringEncoding);
            output.Advance(Encoding.UTF8.GetBytes(quoted, output.GetSpan(Encoding.UTF8.GetMaxByteCount(quoted.Length))));
            return;
        }
        ReadOnlySpan<byte> open = "\"{\\\"info\\\": "u8, close = "}\""u8;
        var span = output.GetSpan(open.Length + 2 * text.Length + close.Length);
        open.CopyTo(span);
        var at = open.Length;
        int next;
        while ((next = text.IndexOfAny((byte)'"', (byte)'\\')) >= 0)
        {
            text[..next].CopyTo(span[at..]);
            at += next;
            span[at++] = (byte)'\\';
            span[at++] = text[next];
            text = text[(next + 1)..];
        }
        text.CopyTo(span[at..]);
        at += text.Length;
        close.CopyTo(span[at..]);
        output.Advance(at + close.Length);
    }

    /// <summary>Reads <c>data</c> in either form: a JSON string holding the object (OSProfiler), or the object itself.</summary>
    internal static string? DecodeData(string? data)
    {
        if (data is null) return "{}";
        var trimmed = data.AsSpan().TrimStart();
        if (trimmed.Length > 0 && trimmed[0] == '"')
        {
            try
            {
                return JsonSerializer.Deserialize<string>(data);
            }
            catch (JsonException)
            {
                return null;
            }
        }
        return data;
    }

    /// <summary>Deletes the rows of each trace: <c>DELETE … WHERE base_id IN (…)</c>, 500 ids a statement, in one transaction.</summary>
    public async Task<int> DeleteTracesAsync(IReadOnlyList<string> baseIds, CancellationToken cancellationToken)
    {
        var ids = baseIds.Where(TracePointRules.IsSafeId).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0) return 0;
        await using var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = db.Database.GetDbConnection();
        try
        {
            var found = 0;
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (var chunk in ids.Chunk(500))
            {
                await using var count = connection.CreateCommand();
                count.Transaction = transaction;
                var inList = string.Join(",", chunk.Select((id, i) => AddIdParameter(count, i, id)));
                count.CommandText = $"SELECT COUNT(DISTINCT base_id) FROM data WHERE base_id IN ({inList})";
                found += Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false),
                    System.Globalization.CultureInfo.InvariantCulture);
                await using var delete = connection.CreateCommand();
                delete.Transaction = transaction;
                inList = string.Join(",", chunk.Select((id, i) => AddIdParameter(delete, i, id)));
                delete.CommandText = $"DELETE FROM data WHERE base_id IN ({inList})";
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return found;
        }
        catch (DbException e)
        {
            throw Failure(SqlOperation.Delete, e);
        }
    }

    private async Task<TraceDbContext> OpenAsync(CancellationToken cancellationToken)
    {
        var db = new TraceDbContext(_options, _dialect);
        try
        {
            await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await _dialect.OnConnectionOpenedAsync(db.Database.GetDbConnection(), cancellationToken).ConfigureAwait(false);
            if (!_initialized) await InitializeAsync(db, cancellationToken).ConfigureAwait(false);
            return db;
        }
        catch (StoreSetupException e)
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw Failure(SqlOperation.CreateTable, e.InnerException!);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw Failure(SqlOperation.Connect, e);
        }
        catch
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task InitializeAsync(TraceDbContext db, CancellationToken cancellationToken)
    {
        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized) return;
            var connection = db.Database.GetDbConnection();
            await _dialect.CheckServerAsync(connection, cancellationToken).ConfigureAwait(false);
            if (!await _dialect.TableExistsAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                _logger.LogInformation("Creating table data in {Store}", _dialect.Describe(_connectionString));
                foreach (var statement in db.Database.GenerateCreateScript()
                             .Split(";", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                             .Where(s => s.Length > 0 && !s.StartsWith("--", StringComparison.Ordinal)))
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = _dialect.AdaptDdl(statement);
                    try
                    {
                        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (DbException e) when (_dialect.IsAlreadyExists(e))
                    {
                        _logger.LogDebug("Skipped {Statement}: {Reason}", command.CommandText, e.Message);
                    }
                    catch (DbException e)
                    {
                        throw new StoreSetupException(e);
                    }
                }
            }
            _initialized = true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    private TraceStoreException Failure(SqlOperation operation, Exception e)
    {
        if (e is TraceStoreException t) return t;
        var action = operation switch
        {
            SqlOperation.Connect => "connect to",
            SqlOperation.CreateTable => "create table data in",
            SqlOperation.Write => "write trace points to",
            SqlOperation.Delete => "delete traces from",
            _ => "read traces from",
        };
        var reason = _dialect.Explain(e, _connectionString, operation) ?? e.Message;
        if (_connectionString.Password is { Length: > 0 } pw) reason = reason.Replace(pw, "***", StringComparison.Ordinal);
        return new TraceStoreException($"Could not {action} {_dialect.Describe(_connectionString)}: {reason}", e);
    }

    /// <summary>A DDL statement failed while creating the missing table.</summary>
    private sealed class StoreSetupException(DbException inner) : InvalidOperationException(inner.Message, inner);

    private static string AddIdParameter(DbCommand command, int index, string id)
    {
        var name = "@b" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        AddNamed(command, name, id);
        return name;
    }

    private static void AddNamed(DbCommand command, string name, string? value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.DbType = DbType.String;
        p.Value = (object?)value ?? DBNull.Value;
        command.Parameters.Add(p);
    }

    public async ValueTask DisposeAsync()
    {
        await _dialect.StopAsync().ConfigureAwait(false);
        _initLock.Dispose();
    }
}
