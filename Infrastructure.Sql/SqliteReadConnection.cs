using System.Collections;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using SQLitePCL;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// A SQLite connection for a store's reads (<see cref="SqlDatabase.OpenForReadAsync"/>: listing, counting, reading a
/// trace, the statistics, and the schema and summary upkeep a read does), straight on SQLitePCLRaw — the library
/// Microsoft.Data.Sqlite itself runs on, and the same native SQLite — as a small ADO.NET provider, so that the shared
/// SQL runs on it unchanged.
/// </summary>
/// <remarks>
/// <para>Why not Microsoft.Data.Sqlite here: its first connection costs a short command more than the runtime's own
/// start-up (its static constructor looks the SQLite bundle up by type name, whose parser is compiled at run time, and
/// its connection-string builder, pool and factory load System.ComponentModel.TypeConverter and more): measured,
/// <c>profiler trace list</c> on an empty store spent ~15 ms of CPU in it. Writes (and deletes, pins, pruning,
/// reindex) keep Microsoft.Data.Sqlite.</para>
/// <para>It behaves as Microsoft.Data.Sqlite does where the store's SQL can tell: the file is opened read-write and
/// created when missing (<c>Mode=ReadWriteCreate</c>); a statement that meets a lock (SQLITE_BUSY, SQLITE_LOCKED) is
/// tried again every 150 ms until the command timeout (the URL's <c>timeout</c>) has passed; a command may hold several
/// statements (a reader's result is the first that returns columns); parameters bind by name; a transaction begins
/// with <c>BEGIN IMMEDIATE</c>; values read as <c>long</c>, <c>double</c>, <c>string</c>, <c>byte[]</c> or
/// <see cref="DBNull"/> by their storage class; failures are Microsoft.Data.Sqlite's own
/// <see cref="Microsoft.Data.Sqlite.SqliteException"/>, with its messages and error codes. A read's connection is its
/// own, closed with it (not pooled): a read sent again after a timeout runs on a fresh one, and no idle connection of
/// the store holds the file open between reads.</para>
/// </remarks>
internal sealed class SqliteReadConnection(string path, int timeoutSeconds) : DbConnection
{
    private static int _initialized;

    private sqlite3? _db;
    private ConnectionState _state = ConnectionState.Closed;

    /// <summary>The open native connection.</summary>
    public sqlite3 Handle => _db ?? throw new InvalidOperationException("The SQLite read connection is not open.");

    /// <summary>The command timeout in seconds (0: wait forever), as Microsoft.Data.Sqlite's <c>DefaultTimeout</c>.</summary>
    public int DefaultTimeout => timeoutSeconds;

    /// <summary>The transaction in progress, if any.</summary>
    internal SqliteReadTransaction? Transaction { get; set; }

    [AllowNull]
    public override string ConnectionString
    {
        get => "Data Source=" + path;
        set => throw new NotSupportedException("A SQLite read connection is made for its store's file; its connection string cannot be changed.");
    }

    public override string Database => "main";

    public override string DataSource => path;

    public override string ServerVersion => raw.sqlite3_libversion().utf8_to_string();

    public override ConnectionState State => _state;

    public override void ChangeDatabase(string databaseName) =>
        throw new NotSupportedException($"A SQLite connection has one database; it cannot change to '{databaseName}'.");

    public override void Open()
    {
        if (_state == ConnectionState.Open) return;
        // The bundle's provider, as Microsoft.Data.Sqlite sets it up (SQLitePCL.Batteries_V2.Init), called directly.
        if (Interlocked.Exchange(ref _initialized, 1) == 0) Batteries_V2.Init();
        var flags = raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE;
        if (path.StartsWith("file:", StringComparison.OrdinalIgnoreCase)) flags |= raw.SQLITE_OPEN_URI;
        var rc = raw.sqlite3_open_v2(path, out var db, flags, null);
        try
        {
            Check(rc, db);
        }
        catch
        {
            db.Dispose();
            throw;
        }
        _db = db;
        _state = ConnectionState.Open;
    }

    public override void Close()
    {
        if (_state != ConnectionState.Open) return;
        Transaction?.Dispose();
        var db = _db!;
        _db = null;
        _state = ConnectionState.Closed;
        db.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Close();
        base.Dispose(disposing);
    }

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel)
    {
        if (Transaction is not null)
            throw new InvalidOperationException("SqliteConnection does not support nested transactions.");
        // As Microsoft.Data.Sqlite: every level but ReadUncommitted (which SQLite has only with a shared cache) is
        // serializable, begun IMMEDIATE, so the write lock is taken (or waited for) here.
        var sql = isolationLevel == IsolationLevel.ReadUncommitted ? "BEGIN;" : "BEGIN IMMEDIATE;";
        Execute(sql);
        return Transaction = new SqliteReadTransaction(this, isolationLevel == IsolationLevel.ReadUncommitted
            ? IsolationLevel.ReadUncommitted
            : IsolationLevel.Serializable);
    }

    /// <summary>Runs <paramref name="sql"/> (no parameters, no results), waiting out locks as a command does.</summary>
    internal void Execute(string sql)
    {
        using var command = new SqliteReadCommand { Connection = this, CommandText = sql };
        command.ExecuteNonQuery();
    }

    protected override DbCommand CreateDbCommand() => new SqliteReadCommand { Connection = this };

    /// <summary>Throws Microsoft.Data.Sqlite's exception for <paramref name="rc"/> unless it is a success code.</summary>
    internal static void Check(int rc, sqlite3 db)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE) return;
        Throw(rc, db);
    }

    // Apart, so that Microsoft.Data.Sqlite's assembly loads only when there is an error to report.
    [MethodImpl(MethodImplOptions.NoInlining)]
    [DoesNotReturn]
    private static void Throw(int rc, sqlite3 db)
    {
        Microsoft.Data.Sqlite.SqliteException.ThrowExceptionForRC(rc, db);
        throw new InvalidOperationException($"SQLite returned {rc}.");
    }

    /// <summary>Whether <paramref name="rc"/> says another connection holds a lock (retried until the timeout).</summary>
    internal static bool IsBusy(int rc) => rc is raw.SQLITE_BUSY or raw.SQLITE_LOCKED or raw.SQLITE_LOCKED_SHAREDCACHE;
}

/// <summary>A transaction of a <see cref="SqliteReadConnection"/>: COMMIT or ROLLBACK; disposed uncommitted, rolled back.</summary>
internal sealed class SqliteReadTransaction(SqliteReadConnection connection, IsolationLevel isolationLevel) : DbTransaction
{
    private bool _completed;

    public override IsolationLevel IsolationLevel => isolationLevel;

    protected override DbConnection DbConnection => connection;

    public override void Commit() => Complete("COMMIT;");

    public override void Rollback() => Complete("ROLLBACK;");

    private void Complete(string sql)
    {
        if (_completed || connection.State != ConnectionState.Open)
            throw new InvalidOperationException("This SqliteTransaction has completed; it is no longer usable.");
        _completed = true;
        connection.Transaction = null;
        // Autocommit on: SQLite already rolled the transaction back (an error that ends it); nothing left to end.
        if (raw.sqlite3_get_autocommit(connection.Handle) == 0 || sql == "COMMIT;") connection.Execute(sql);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_completed && connection.State == ConnectionState.Open) Complete("ROLLBACK;");
        base.Dispose(disposing);
    }
}

/// <summary>A command of a <see cref="SqliteReadConnection"/>: one or more statements, parameters bound by name.</summary>
internal sealed class SqliteReadCommand : DbCommand
{
    private readonly SqliteReadParameters _parameters = new();
    private SqliteReadConnection? _connection;
    private int? _timeout;

    [AllowNull]
    public override string CommandText { get; set; } = "";

    public override int CommandTimeout
    {
        get => _timeout ?? _connection?.DefaultTimeout ?? 30;
        set => _timeout = value;
    }

    public override CommandType CommandType
    {
        get => CommandType.Text;
        set
        {
            if (value != CommandType.Text) throw new ArgumentException($"CommandType '{value}' is not supported: SQLite runs text commands only.");
        }
    }

    public override bool DesignTimeVisible { get; set; }

    public override UpdateRowSource UpdatedRowSource { get; set; }

    protected override DbConnection? DbConnection
    {
        get => _connection;
        set => _connection = (SqliteReadConnection?)value;
    }

    protected override DbParameterCollection DbParameterCollection => _parameters;

    protected override DbTransaction? DbTransaction { get; set; }

    public override void Cancel()
    {
    }

    public override void Prepare()
    {
    }

    protected override DbParameter CreateDbParameter() => new SqliteReadParameter();

    public override int ExecuteNonQuery()
    {
        var reader = Execute(CommandBehavior.Default);
        reader.Dispose();
        return reader.RecordsAffected;
    }

    public override object? ExecuteScalar()
    {
        using var reader = Execute(CommandBehavior.Default);
        return reader.Read() ? reader.GetValue(0) : null;
    }

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => Execute(behavior);

    private SqliteReadReader Execute(CommandBehavior behavior)
    {
        if (_connection is not { State: ConnectionState.Open } connection)
            throw new InvalidOperationException("ExecuteReader requires an open connection.");
        var reader = new SqliteReadReader(this, connection, behavior.HasFlag(CommandBehavior.CloseConnection));
        reader.NextResult();
        return reader;
    }

    /// <summary>
    /// The command's statements, each prepared as the one before has run (waiting out locks until the timeout, as a
    /// step does) and bound from the parameters; the caller disposes each.
    /// </summary>
    internal IEnumerable<sqlite3_stmt> Statements(sqlite3 db, Stopwatch timer)
    {
        var text = CommandText;
        var bytes = Encoding.UTF8.GetBytes(text + "\0");
        var end = bytes.Length - 1;
        var start = 0;
        while (start < end)
        {
            int rc;
            sqlite3_stmt statement;
            ReadOnlySpan<byte> tail;
            timer.Start();
            while (SqliteReadConnection.IsBusy(rc = raw.sqlite3_prepare_v2(db, bytes.AsSpan(start), out statement, out tail))
                   && !TimedOut(timer))
                Thread.Sleep(150);
            timer.Stop();
            start = bytes.Length - tail.Length;
            SqliteReadConnection.Check(rc, db);
            // Empty, white space or a comment.
            if (statement.IsInvalid)
            {
                statement.Dispose();
                continue;
            }
            try
            {
                Bind(statement, db);
            }
            catch
            {
                statement.Dispose();
                throw;
            }
            yield return statement;
        }
    }

    /// <summary>Whether the command has waited out its timeout (0: never).</summary>
    internal bool TimedOut(Stopwatch timer) => CommandTimeout != 0 && timer.ElapsedMilliseconds >= CommandTimeout * 1000L;

    private void Bind(sqlite3_stmt statement, sqlite3 db)
    {
        var expected = raw.sqlite3_bind_parameter_count(statement);
        if (expected == 0) return;
        var bound = 0;
        foreach (var parameter in _parameters.Items)
        {
            var index = raw.sqlite3_bind_parameter_index(statement, parameter.ParameterName);
            if (index == 0) continue;
            var rc = parameter.Value switch
            {
                null or DBNull => raw.sqlite3_bind_null(statement, index),
                string s => raw.sqlite3_bind_text(statement, index, s),
                long l => raw.sqlite3_bind_int64(statement, index, l),
                int i => raw.sqlite3_bind_int64(statement, index, i),
                short s => raw.sqlite3_bind_int64(statement, index, s),
                byte b => raw.sqlite3_bind_int64(statement, index, b),
                bool b => raw.sqlite3_bind_int64(statement, index, b ? 1 : 0),
                double d => raw.sqlite3_bind_double(statement, index, d),
                float f => raw.sqlite3_bind_double(statement, index, f),
                byte[] blob => raw.sqlite3_bind_blob(statement, index, blob),
                var other => throw new InvalidOperationException(
                    $"Parameter '{parameter.ParameterName}' holds a {other.GetType().Name}; a SQLite read binds text, integers, reals, blobs and null."),
            };
            SqliteReadConnection.Check(rc, db);
            bound++;
        }
        if (bound != expected)
        {
            // Named as Microsoft.Data.Sqlite names them: only when the command has parameters at all.
            var missing = new List<string>();
            for (var i = 1; i <= expected && _parameters.Count > 0; i++)
            {
                var name = raw.sqlite3_bind_parameter_name(statement, i).utf8_to_string();
                if (!_parameters.Items.Any(p => p.ParameterName == name)) missing.Add(name);
            }
            throw new InvalidOperationException($"Must add values for the following parameters: {string.Join(", ", missing)}");
        }
    }

}

/// <summary>The results of a <see cref="SqliteReadCommand"/>.</summary>
internal sealed class SqliteReadReader : DbDataReader
{
    private readonly SqliteReadCommand _command;
    private readonly SqliteReadConnection _connection;
    private readonly bool _closeConnection;
    private readonly sqlite3 _db;
    private readonly Stopwatch _timer = new();
    private IEnumerator<sqlite3_stmt>? _statements;
    private sqlite3_stmt? _current;
    private bool _hasRows;
    // Whether the current statement's step before the first Read already stood on a row (true) or at its end.
    private bool _pending;
    private bool _started;
    private bool _closed;
    private int _recordsAffected = -1;

    public SqliteReadReader(SqliteReadCommand command, SqliteReadConnection connection, bool closeConnection)
    {
        _command = command;
        _connection = connection;
        _closeConnection = closeConnection;
        _db = connection.Handle;
        _statements = command.Statements(_db, _timer).GetEnumerator();
    }

    public override int Depth => 0;

    public override int FieldCount => _current is null ? 0 : raw.sqlite3_column_count(_current);

    public override bool HasRows => _hasRows;

    public override bool IsClosed => _closed;

    public override int RecordsAffected => _recordsAffected;

    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    public override bool NextResult()
    {
        if (_closed) throw new InvalidOperationException("Invalid attempt to call NextResult when reader is closed.");
        FinishCurrent();
        while (_statements is not null)
        {
            sqlite3_stmt statement;
            try
            {
                if (!_statements.MoveNext())
                {
                    _statements.Dispose();
                    _statements = null;
                    return false;
                }
                statement = _statements.Current;
            }
            catch
            {
                DisposeStatements();
                throw;
            }
            try
            {
                int rc;
                _timer.Start();
                while (SqliteReadConnection.IsBusy(rc = raw.sqlite3_step(statement)) && !_command.TimedOut(_timer))
                {
                    raw.sqlite3_reset(statement);
                    Thread.Sleep(150);
                }
                _timer.Stop();
                SqliteReadConnection.Check(rc, _db);
                if (raw.sqlite3_column_count(statement) != 0)
                {
                    _current = statement;
                    _hasRows = rc == raw.SQLITE_ROW;
                    _pending = _hasRows;
                    _started = false;
                    return true;
                }
                while (rc != raw.SQLITE_DONE)
                {
                    rc = raw.sqlite3_step(statement);
                    SqliteReadConnection.Check(rc, _db);
                }
                raw.sqlite3_reset(statement);
                AddChanges(raw.sqlite3_changes(_db));
                statement.Dispose();
            }
            catch
            {
                raw.sqlite3_reset(statement);
                statement.Dispose();
                DisposeStatements();
                _closed = true;
                if (_closeConnection) _connection.Close();
                throw;
            }
        }
        return false;
    }

    private void AddChanges(int changes) => _recordsAffected = _recordsAffected == -1 ? changes : _recordsAffected + changes;

    /// <summary>Ends the current result: a statement that changes rows (INSERT … RETURNING) still runs to its end.</summary>
    private void FinishCurrent()
    {
        if (_current is not { } statement) return;
        _current = null;
        try
        {
            if (raw.sqlite3_stmt_readonly(statement) == 0)
            {
                var rc = _pending || _started ? raw.SQLITE_ROW : raw.SQLITE_DONE;
                while (rc == raw.SQLITE_ROW) rc = raw.sqlite3_step(statement);
                raw.sqlite3_reset(statement);
                AddChanges(raw.sqlite3_changes(_db));
            }
            else raw.sqlite3_reset(statement);
        }
        finally
        {
            statement.Dispose();
        }
    }

    private void DisposeStatements()
    {
        _statements?.Dispose();
        _statements = null;
    }

    public override bool Read()
    {
        if (_closed) throw new InvalidOperationException("Invalid attempt to call Read when reader is closed.");
        if (_current is not { } statement) return false;
        if (!_started)
        {
            _started = true;
            return _pending;
        }
        if (!_pending) return false;
        var rc = raw.sqlite3_step(statement);
        SqliteReadConnection.Check(rc, _db);
        _pending = rc == raw.SQLITE_ROW;
        return _pending;
    }

    public override void Close() => Dispose(true);

    protected override void Dispose(bool disposing)
    {
        if (!disposing || _closed) return;
        try
        {
            // The statements not yet run still run, as Microsoft.Data.Sqlite does (a command's later statements).
            while (NextResult())
            {
            }
        }
        catch
        {
            // As Microsoft.Data.Sqlite: a failure of a later statement is not raised by closing the reader.
        }
        FinishCurrent();
        DisposeStatements();
        _closed = true;
        if (_closeConnection) _connection.Close();
        base.Dispose(disposing);
    }

    private sqlite3_stmt Row(int ordinal)
    {
        if (_closed) throw new InvalidOperationException("Invalid attempt to read when reader is closed.");
        if (_current is not { } statement || !_started || !_pending) throw new InvalidOperationException("No data exists for the row/column.");
        if ((uint)ordinal >= (uint)raw.sqlite3_column_count(statement)) throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, null);
        return statement;
    }

    private int Type(int ordinal) => raw.sqlite3_column_type(Row(ordinal), ordinal);

    public override bool IsDBNull(int ordinal) => Type(ordinal) == raw.SQLITE_NULL;

    private void NotNull(int ordinal)
    {
        if (IsDBNull(ordinal))
            throw new InvalidOperationException(
                $"The data is NULL at ordinal {ordinal.ToString(CultureInfo.InvariantCulture)}. This method can't be called on NULL values. Check using IsDBNull before calling.");
    }

    public override string GetString(int ordinal)
    {
        NotNull(ordinal);
        return raw.sqlite3_column_text(_current!, ordinal).utf8_to_string();
    }

    public override long GetInt64(int ordinal)
    {
        NotNull(ordinal);
        return raw.sqlite3_column_int64(_current!, ordinal);
    }

    public override int GetInt32(int ordinal) => checked((int)GetInt64(ordinal));

    public override short GetInt16(int ordinal) => checked((short)GetInt64(ordinal));

    public override byte GetByte(int ordinal) => checked((byte)GetInt64(ordinal));

    public override bool GetBoolean(int ordinal) => GetInt64(ordinal) != 0;

    public override double GetDouble(int ordinal)
    {
        NotNull(ordinal);
        return raw.sqlite3_column_double(_current!, ordinal);
    }

    public override float GetFloat(int ordinal) => (float)GetDouble(ordinal);

    public override decimal GetDecimal(int ordinal) => decimal.Parse(GetString(ordinal), NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);

    public override DateTime GetDateTime(int ordinal) => DateTime.Parse(GetString(ordinal), CultureInfo.InvariantCulture);

    public override Guid GetGuid(int ordinal) =>
        Type(ordinal) == raw.SQLITE_BLOB ? new Guid(GetBlob(ordinal)) : Guid.Parse(GetString(ordinal));

    public override char GetChar(int ordinal) => (char)GetInt64(ordinal);

    private byte[] GetBlob(int ordinal)
    {
        NotNull(ordinal);
        return raw.sqlite3_column_blob(_current!, ordinal).ToArray();
    }

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length)
    {
        var blob = GetBlob(ordinal);
        if (buffer is null) return blob.Length;
        var count = (int)Math.Max(0, Math.Min(length, blob.Length - dataOffset));
        Array.Copy(blob, dataOffset, buffer, bufferOffset, count);
        return count;
    }

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length)
    {
        var text = GetString(ordinal);
        if (buffer is null) return text.Length;
        var count = (int)Math.Max(0, Math.Min(length, text.Length - dataOffset));
        text.CopyTo((int)dataOffset, buffer, bufferOffset, count);
        return count;
    }

    public override object GetValue(int ordinal) => Type(ordinal) switch
    {
        raw.SQLITE_INTEGER => raw.sqlite3_column_int64(_current!, ordinal),
        raw.SQLITE_FLOAT => raw.sqlite3_column_double(_current!, ordinal),
        raw.SQLITE_TEXT => raw.sqlite3_column_text(_current!, ordinal).utf8_to_string(),
        raw.SQLITE_BLOB => GetBlob(ordinal),
        _ => DBNull.Value,
    };

    public override int GetValues(object[] values)
    {
        var n = Math.Min(values.Length, FieldCount);
        for (var i = 0; i < n; i++) values[i] = GetValue(i);
        return n;
    }

    public override string GetName(int ordinal)
    {
        if (_current is not { } statement) throw new InvalidOperationException("No data exists for the row/column.");
        return raw.sqlite3_column_name(statement, ordinal).utf8_to_string();
    }

    public override int GetOrdinal(string name)
    {
        for (var i = 0; i < FieldCount; i++)
            if (string.Equals(GetName(i), name, StringComparison.Ordinal)) return i;
        for (var i = 0; i < FieldCount; i++)
            if (string.Equals(GetName(i), name, StringComparison.OrdinalIgnoreCase)) return i;
        throw new ArgumentOutOfRangeException(nameof(name), name, "No column of the result has this name.");
    }

    public override string GetDataTypeName(int ordinal)
    {
        if (_current is not { } statement) throw new InvalidOperationException("No data exists for the row/column.");
        var declared = raw.sqlite3_column_decltype(statement, ordinal).utf8_to_string();
        if (!string.IsNullOrEmpty(declared)) return declared;
        return Type(ordinal) switch
        {
            raw.SQLITE_INTEGER => "INTEGER",
            raw.SQLITE_FLOAT => "REAL",
            raw.SQLITE_BLOB => "BLOB",
            _ => "TEXT",
        };
    }

    public override Type GetFieldType(int ordinal) => Type(ordinal) switch
    {
        raw.SQLITE_INTEGER => typeof(long),
        raw.SQLITE_FLOAT => typeof(double),
        raw.SQLITE_BLOB => typeof(byte[]),
        _ => typeof(string),
    };

    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);
}

/// <summary>A parameter of a <see cref="SqliteReadCommand"/>.</summary>
internal sealed class SqliteReadParameter : DbParameter
{
    public override DbType DbType { get; set; } = DbType.String;

    public override ParameterDirection Direction
    {
        get => ParameterDirection.Input;
        set
        {
            if (value != ParameterDirection.Input) throw new ArgumentException($"ParameterDirection '{value}' is not supported: SQLite parameters are input only.");
        }
    }

    public override bool IsNullable { get; set; }

    [AllowNull]
    public override string ParameterName { get; set; } = "";

    public override int Size { get; set; }

    [AllowNull]
    public override string SourceColumn { get; set; } = "";

    public override bool SourceColumnNullMapping { get; set; }

    public override object? Value { get; set; }

    public override void ResetDbType() => DbType = DbType.String;
}

/// <summary>The parameters of a <see cref="SqliteReadCommand"/>.</summary>
internal sealed class SqliteReadParameters : DbParameterCollection
{
    public List<DbParameter> Items { get; } = [];

    public override int Count => Items.Count;

    public override object SyncRoot => Items;

    public override int Add(object value)
    {
        Items.Add((DbParameter)value);
        return Items.Count - 1;
    }

    public override void AddRange(Array values)
    {
        foreach (var value in values) Add(value!);
    }

    public override void Clear() => Items.Clear();

    public override bool Contains(object value) => Items.Contains((DbParameter)value);

    public override bool Contains(string value) => IndexOf(value) >= 0;

    public override void CopyTo(Array array, int index) => ((ICollection)Items).CopyTo(array, index);

    public override IEnumerator GetEnumerator() => Items.GetEnumerator();

    protected override DbParameter GetParameter(int index) => Items[index];

    protected override DbParameter GetParameter(string parameterName) =>
        Items[IndexOf(parameterName) is var i and >= 0 ? i : throw new ArgumentException($"No parameter named '{parameterName}'.")];

    public override int IndexOf(object value) => Items.IndexOf((DbParameter)value);

    public override int IndexOf(string parameterName) => Items.FindIndex(p => p.ParameterName == parameterName);

    public override void Insert(int index, object value) => Items.Insert(index, (DbParameter)value);

    public override void Remove(object value) => Items.Remove((DbParameter)value);

    public override void RemoveAt(int index) => Items.RemoveAt(index);

    public override void RemoveAt(string parameterName) => Items.RemoveAt(IndexOf(parameterName));

    protected override void SetParameter(int index, DbParameter value) => Items[index] = value;

    protected override void SetParameter(string parameterName, DbParameter value) => Items[IndexOf(parameterName)] = value;
}
