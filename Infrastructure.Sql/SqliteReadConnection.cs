using System.Collections;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using static Profiler.Infrastructure.Sql.SqliteNative;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// A SQLite connection for a store's reads (<see cref="SqlDatabase.OpenForReadAsync"/>: listing, counting, reading a
/// trace, the statistics, and the schema and summary upkeep a read does), as a small ADO.NET provider straight on the
/// native SQLite library that Microsoft.Data.Sqlite itself runs (SQLitePCLRaw's <c>e_sqlite3</c>, the same file in the
/// plugin's folder), so that the shared SQL runs on it unchanged.
/// </summary>
/// <remarks>
/// <para>Why not Microsoft.Data.Sqlite here: its first connection costs a short command more than the runtime's own
/// start-up (its static constructor looks the SQLite bundle up by type name, whose parser is compiled at run time, and
/// its connection-string builder, pool and factory load System.ComponentModel.TypeConverter and more); and SQLitePCLRaw's
/// own calls each need a marshalling stub compiled at run time (its handles are SafeHandles). The calls here
/// (<see cref="SqliteNative"/>) are blittable and precompiled. Writes (and deletes, pins, pruning, reindex) keep
/// Microsoft.Data.Sqlite.</para>
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
internal sealed unsafe class SqliteReadConnection(string path, int timeoutSeconds) : DbConnection
{
    private IntPtr _db;
    private ConnectionState _state = ConnectionState.Closed;

    /// <summary>The open native connection.</summary>
    public IntPtr Handle => _db != IntPtr.Zero ? _db : throw new InvalidOperationException("The SQLite read connection is not open.");

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

    public override string ServerVersion => Text(sqlite3_libversion()) ?? "";

    public override ConnectionState State => _state;

    public override void ChangeDatabase(string databaseName) =>
        throw new NotSupportedException($"A SQLite connection has one database; it cannot change to '{databaseName}'.");

    public override void Open()
    {
        if (_state == ConnectionState.Open) return;
        UseProvidersLibrary();
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        if (path.StartsWith("file:", StringComparison.OrdinalIgnoreCase)) flags |= SQLITE_OPEN_URI;
        IntPtr db;
        int rc;
        fixed (byte* file = Utf8(path)) rc = sqlite3_open_v2(file, &db, flags, null);
        if (rc != SQLITE_OK)
        {
            try
            {
                Check(rc, db);
            }
            finally
            {
                _ = sqlite3_close_v2(db);
            }
        }
        _db = db;
        _state = ConnectionState.Open;
    }

    public override void Close()
    {
        if (_state != ConnectionState.Open) return;
        Transaction?.Dispose();
        var db = _db;
        _db = IntPtr.Zero;
        _state = ConnectionState.Closed;
        _ = sqlite3_close_v2(db);
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
        Execute(isolationLevel == IsolationLevel.ReadUncommitted ? "BEGIN;" : "BEGIN IMMEDIATE;");
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
        // Autocommit on: SQLite already rolled the transaction back (an error that ends it); nothing left to roll back.
        if (sql == "COMMIT;" || sqlite3_get_autocommit(connection.Handle) == 0) connection.Execute(sql);
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

    /// <summary>The parameters, to bind.</summary>
    internal SqliteReadParameters Bound => _parameters;

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

    /// <summary>Whether the command has waited out its timeout (0: never).</summary>
    internal bool TimedOut(Stopwatch timer) => CommandTimeout != 0 && timer.ElapsedMilliseconds >= CommandTimeout * 1000L;
}

/// <summary>
/// The results of a <see cref="SqliteReadCommand"/>: its statements prepared one by one, each as the one before has run
/// (waiting out locks until the timeout, as a step does), bound from the command's parameters.
/// </summary>
internal sealed unsafe class SqliteReadReader : DbDataReader
{
    private readonly SqliteReadCommand _command;
    private readonly SqliteReadConnection _connection;
    private readonly bool _closeConnection;
    private readonly IntPtr _db;
    private readonly Stopwatch _timer = new();
    // The command text, UTF-8 and NUL-terminated, pinned while statements are prepared from it.
    private readonly byte[] _sql;
    private int _offset;
    private IntPtr _current;
    private bool _hasRows;
    // Whether the current statement stands on a row (the step before the first Read already made).
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
        _sql = Utf8(command.CommandText, pinned: true);
    }

    public override int Depth => 0;

    public override int FieldCount => _current == IntPtr.Zero ? 0 : sqlite3_column_count(_current);

    public override bool HasRows => _hasRows;

    public override bool IsClosed => _closed;

    public override int RecordsAffected => _recordsAffected;

    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    /// <summary>The next statement of the command text, prepared and bound; zero when there is none left.</summary>
    private IntPtr PrepareNext()
    {
        var end = _sql.Length - 1;
        while (_offset < end)
        {
            int rc;
            IntPtr statement;
            byte* tail;
            var start = (byte*)Unsafe.AsPointer(ref _sql[0]);
            _timer.Start();
            while (IsBusy(rc = sqlite3_prepare_v2(_db, start + _offset, end - _offset, &statement, &tail)) && !_command.TimedOut(_timer))
                Thread.Sleep(150);
            _timer.Stop();
            _offset = tail == null ? end : (int)(tail - start);
            Check(rc, _db);
            // Empty, white space or a comment.
            if (statement == IntPtr.Zero) continue;
            try
            {
                Bind(statement);
            }
            catch
            {
                _ = sqlite3_finalize(statement);
                throw;
            }
            return statement;
        }
        return IntPtr.Zero;
    }

    private void Bind(IntPtr statement)
    {
        var expected = sqlite3_bind_parameter_count(statement);
        if (expected == 0) return;
        var parameters = _command.Bound.Items;
        var bound = 0;
        foreach (var parameter in parameters)
        {
            int index;
            fixed (byte* name = Utf8(parameter.ParameterName)) index = sqlite3_bind_parameter_index(statement, name);
            if (index == 0) continue;
            int rc;
            switch (parameter.Value)
            {
                case null or DBNull:
                    rc = sqlite3_bind_null(statement, index);
                    break;
                case string text:
                    var bytes = Encoding.UTF8.GetBytes(text);
                    fixed (byte* p = bytes) rc = sqlite3_bind_text(statement, index, p, bytes.Length, SQLITE_TRANSIENT);
                    break;
                case long l:
                    rc = sqlite3_bind_int64(statement, index, l);
                    break;
                case int i:
                    rc = sqlite3_bind_int64(statement, index, i);
                    break;
                case short sh:
                    rc = sqlite3_bind_int64(statement, index, sh);
                    break;
                case byte b:
                    rc = sqlite3_bind_int64(statement, index, b);
                    break;
                case bool flag:
                    rc = sqlite3_bind_int64(statement, index, flag ? 1 : 0);
                    break;
                case double d:
                    rc = sqlite3_bind_double(statement, index, d);
                    break;
                case float f:
                    rc = sqlite3_bind_double(statement, index, f);
                    break;
                case byte[] blob:
                    fixed (byte* p = blob) rc = sqlite3_bind_blob(statement, index, p, blob.Length, SQLITE_TRANSIENT);
                    break;
                default:
                    throw new InvalidOperationException(
                        $"Parameter '{parameter.ParameterName}' holds a {parameter.Value.GetType().Name}; a SQLite read binds text, integers, reals, blobs and null.");
            }
            Check(rc, _db);
            bound++;
        }
        if (bound != expected)
        {
            // Named as Microsoft.Data.Sqlite names them: only when the command has parameters at all.
            var missing = new List<string>();
            for (var i = 1; i <= expected && parameters.Count > 0; i++)
            {
                var name = Text(sqlite3_bind_parameter_name(statement, i));
                if (!parameters.Exists(p => p.ParameterName == name)) missing.Add(name ?? "?" + i.ToString(CultureInfo.InvariantCulture));
            }
            throw new InvalidOperationException($"Must add values for the following parameters: {string.Join(", ", missing)}");
        }
    }

    public override bool NextResult()
    {
        if (_closed) throw new InvalidOperationException("Invalid attempt to call NextResult when reader is closed.");
        FinishCurrent();
        while (true)
        {
            IntPtr statement;
            try
            {
                statement = PrepareNext();
            }
            catch
            {
                Fail();
                throw;
            }
            if (statement == IntPtr.Zero) return false;
            try
            {
                int rc;
                _timer.Start();
                while (IsBusy(rc = sqlite3_step(statement)) && !_command.TimedOut(_timer))
                {
                    _ = sqlite3_reset(statement);
                    Thread.Sleep(150);
                }
                _timer.Stop();
                Check(rc, _db);
                if (sqlite3_column_count(statement) != 0)
                {
                    _current = statement;
                    _hasRows = rc == SQLITE_ROW;
                    _pending = _hasRows;
                    _started = false;
                    return true;
                }
                while (rc != SQLITE_DONE)
                {
                    rc = sqlite3_step(statement);
                    Check(rc, _db);
                }
                _ = sqlite3_reset(statement);
                AddChanges(sqlite3_changes(_db));
                _ = sqlite3_finalize(statement);
            }
            catch
            {
                _ = sqlite3_reset(statement);
                _ = sqlite3_finalize(statement);
                Fail();
                throw;
            }
        }
    }

    /// <summary>After a failure: the statements left are not run, the reader is closed (and its connection, when asked).</summary>
    private void Fail()
    {
        _offset = _sql.Length - 1;
        _closed = true;
        if (_closeConnection) _connection.Close();
    }

    private void AddChanges(int changes) => _recordsAffected = _recordsAffected == -1 ? changes : _recordsAffected + changes;

    /// <summary>Ends the current result: a statement that changes rows (INSERT … RETURNING) still runs to its end.</summary>
    private void FinishCurrent()
    {
        if (_current == IntPtr.Zero) return;
        var statement = _current;
        _current = IntPtr.Zero;
        try
        {
            if (sqlite3_stmt_readonly(statement) == 0)
            {
                var rc = _pending || !_started && _hasRows ? SQLITE_ROW : SQLITE_DONE;
                while (rc == SQLITE_ROW) rc = sqlite3_step(statement);
                _ = sqlite3_reset(statement);
                AddChanges(sqlite3_changes(_db));
            }
            else _ = sqlite3_reset(statement);
        }
        finally
        {
            _ = sqlite3_finalize(statement);
        }
    }

    public override bool Read()
    {
        if (_closed) throw new InvalidOperationException("Invalid attempt to call Read when reader is closed.");
        if (_current == IntPtr.Zero) return false;
        if (!_started)
        {
            _started = true;
            return _pending;
        }
        if (!_pending) return false;
        var rc = sqlite3_step(_current);
        Check(rc, _db);
        _pending = rc == SQLITE_ROW;
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
        _closed = true;
        if (_closeConnection) _connection.Close();
        base.Dispose(disposing);
    }

    /// <summary>The current row's statement, checked for a column <paramref name="ordinal"/>.</summary>
    private IntPtr Row(int ordinal)
    {
        if (_closed) throw new InvalidOperationException("Invalid attempt to read when reader is closed.");
        if (_current == IntPtr.Zero || !_started || !_pending) throw new InvalidOperationException("No data exists for the row/column.");
        if ((uint)ordinal >= (uint)sqlite3_column_count(_current)) throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, null);
        return _current;
    }

    private int Type(int ordinal) => sqlite3_column_type(Row(ordinal), ordinal);

    public override bool IsDBNull(int ordinal) => Type(ordinal) == SQLITE_NULL;

    private void NotNull(int ordinal)
    {
        if (IsDBNull(ordinal))
            throw new InvalidOperationException(
                $"The data is NULL at ordinal {ordinal.ToString(CultureInfo.InvariantCulture)}. This method can't be called on NULL values. Check using IsDBNull before calling.");
    }

    private string ColumnText(int ordinal)
    {
        var text = sqlite3_column_text(_current, ordinal);
        return text == null ? "" : Encoding.UTF8.GetString(text, sqlite3_column_bytes(_current, ordinal));
    }

    private byte[] ColumnBlob(int ordinal)
    {
        var blob = sqlite3_column_blob(_current, ordinal);
        return blob == null ? [] : new ReadOnlySpan<byte>(blob, sqlite3_column_bytes(_current, ordinal)).ToArray();
    }

    public override string GetString(int ordinal)
    {
        NotNull(ordinal);
        return ColumnText(ordinal);
    }

    public override long GetInt64(int ordinal)
    {
        NotNull(ordinal);
        return sqlite3_column_int64(_current, ordinal);
    }

    public override int GetInt32(int ordinal) => checked((int)GetInt64(ordinal));

    public override short GetInt16(int ordinal) => checked((short)GetInt64(ordinal));

    public override byte GetByte(int ordinal) => checked((byte)GetInt64(ordinal));

    public override bool GetBoolean(int ordinal) => GetInt64(ordinal) != 0;

    public override double GetDouble(int ordinal)
    {
        NotNull(ordinal);
        return sqlite3_column_double(_current, ordinal);
    }

    public override float GetFloat(int ordinal) => (float)GetDouble(ordinal);

    public override decimal GetDecimal(int ordinal) => decimal.Parse(GetString(ordinal), NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);

    public override DateTime GetDateTime(int ordinal) => DateTime.Parse(GetString(ordinal), CultureInfo.InvariantCulture);

    public override Guid GetGuid(int ordinal)
    {
        NotNull(ordinal);
        return Type(ordinal) == SQLITE_BLOB ? new Guid(ColumnBlob(ordinal)) : Guid.Parse(ColumnText(ordinal));
    }

    public override char GetChar(int ordinal) => (char)GetInt64(ordinal);

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length)
    {
        NotNull(ordinal);
        var blob = ColumnBlob(ordinal);
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
        SQLITE_INTEGER => sqlite3_column_int64(_current, ordinal),
        SQLITE_FLOAT => sqlite3_column_double(_current, ordinal),
        SQLITE_TEXT => ColumnText(ordinal),
        SQLITE_BLOB => ColumnBlob(ordinal),
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
        if (_current == IntPtr.Zero) throw new InvalidOperationException("No data exists for the row/column.");
        return Text(sqlite3_column_name(_current, ordinal)) ?? "";
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
        if (_current == IntPtr.Zero) throw new InvalidOperationException("No data exists for the row/column.");
        var declared = Text(sqlite3_column_decltype(_current, ordinal));
        if (!string.IsNullOrEmpty(declared)) return declared;
        return Type(ordinal) switch
        {
            SQLITE_INTEGER => "INTEGER",
            SQLITE_FLOAT => "REAL",
            SQLITE_BLOB => "BLOB",
            _ => "TEXT",
        };
    }

    public override Type GetFieldType(int ordinal) => Type(ordinal) switch
    {
        SQLITE_INTEGER => typeof(long),
        SQLITE_FLOAT => typeof(double),
        SQLITE_BLOB => typeof(byte[]),
        _ => typeof(string),
    };

    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);
}

/// <summary>
/// The SQLite C API calls of <see cref="SqliteReadConnection"/>, into SQLitePCLRaw's native <c>e_sqlite3</c> library (the
/// one Microsoft.Data.Sqlite loads, from the plugin's folder). Blittable signatures, with runtime marshalling disabled for
/// this assembly (it has no other native calls): ReadyToRun precompiles them, where SQLitePCLRaw's SafeHandle signatures
/// each needed a marshalling stub compiled at run time.
/// </summary>
internal static unsafe class SqliteNative
{
    private const string Library = "e_sqlite3";

    public const int SQLITE_OK = 0;
    public const int SQLITE_BUSY = 5;
    public const int SQLITE_LOCKED = 6;
    public const int SQLITE_LOCKED_SHAREDCACHE = 262;
    public const int SQLITE_ROW = 100;
    public const int SQLITE_DONE = 101;
    public const int SQLITE_OPEN_READWRITE = 0x2;
    public const int SQLITE_OPEN_CREATE = 0x4;
    public const int SQLITE_OPEN_URI = 0x40;
    public const int SQLITE_INTEGER = 1;
    public const int SQLITE_FLOAT = 2;
    public const int SQLITE_TEXT = 3;
    public const int SQLITE_BLOB = 4;
    public const int SQLITE_NULL = 5;

    /// <summary>SQLite copies a bound value before the call returns.</summary>
    public static readonly IntPtr SQLITE_TRANSIENT = new(-1);

    private static readonly Lock Gate = new();
    private static bool _resolverSet;

    /// <summary>
    /// Makes these calls go to the very library Microsoft.Data.Sqlite's provider (SQLitePCLRaw.provider.e_sqlite3) uses:
    /// resolved for that assembly, as loaded by this assembly's load context, exactly as its own P/Invokes resolve. Two
    /// copies of SQLite in one process (say the host's and a plugin's) would each think its connections the only ones:
    /// the last read connection of one closing would checkpoint and delete the write-ahead log the other still writes
    /// (SQLite's "multiple copies of SQLite in the same application"). Called before the first call.
    /// </summary>
    public static void UseProvidersLibrary()
    {
        lock (Gate)
        {
            if (_resolverSet) return;
            NativeLibrary.SetDllImportResolver(typeof(SqliteNative).Assembly, static (name, assembly, searchPath) =>
            {
                if (name != Library) return IntPtr.Zero;
                var context = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(assembly) ?? System.Runtime.Loader.AssemblyLoadContext.Default;
                var provider = context.LoadFromAssemblyName(new System.Reflection.AssemblyName("SQLitePCLRaw.provider.e_sqlite3"));
                return NativeLibrary.Load(Library, provider, searchPath);
            });
            _resolverSet = true;
        }
    }

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_open_v2(byte* filename, IntPtr* db, int flags, byte* vfs);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_close_v2(IntPtr db);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_prepare_v2(IntPtr db, byte* sql, int bytes, IntPtr* statement, byte** tail);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_step(IntPtr statement);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_reset(IntPtr statement);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_finalize(IntPtr statement);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_stmt_readonly(IntPtr statement);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_changes(IntPtr db);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_get_autocommit(IntPtr db);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_errcode(IntPtr db);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_extended_errcode(IntPtr db);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern byte* sqlite3_errmsg(IntPtr db);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern byte* sqlite3_errstr(int rc);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern byte* sqlite3_libversion();

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_bind_parameter_count(IntPtr statement);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_bind_parameter_index(IntPtr statement, byte* name);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern byte* sqlite3_bind_parameter_name(IntPtr statement, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_bind_null(IntPtr statement, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_bind_int64(IntPtr statement, int index, long value);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_bind_double(IntPtr statement, int index, double value);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_bind_text(IntPtr statement, int index, byte* value, int bytes, IntPtr destructor);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_bind_blob(IntPtr statement, int index, byte* value, int bytes, IntPtr destructor);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_column_count(IntPtr statement);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_column_type(IntPtr statement, int column);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern long sqlite3_column_int64(IntPtr statement, int column);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern double sqlite3_column_double(IntPtr statement, int column);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern byte* sqlite3_column_text(IntPtr statement, int column);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern void* sqlite3_column_blob(IntPtr statement, int column);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_column_bytes(IntPtr statement, int column);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern byte* sqlite3_column_name(IntPtr statement, int column);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern byte* sqlite3_column_decltype(IntPtr statement, int column);

    /// <summary><paramref name="text"/> as NUL-terminated UTF-8 (on the pinned heap when <paramref name="pinned"/>).</summary>
    public static byte[] Utf8(string text, bool pinned = false)
    {
        var n = Encoding.UTF8.GetByteCount(text);
        var bytes = pinned ? GC.AllocateUninitializedArray<byte>(n + 1, pinned: true) : new byte[n + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        bytes[n] = 0;
        return bytes;
    }

    /// <summary>A NUL-terminated UTF-8 string SQLite owns, or null.</summary>
    public static string? Text(byte* text) => text == null ? null : Marshal.PtrToStringUTF8((IntPtr)text);

    /// <summary>Whether <paramref name="rc"/> says another connection holds a lock (retried until the timeout).</summary>
    public static bool IsBusy(int rc) => rc is SQLITE_BUSY or SQLITE_LOCKED or SQLITE_LOCKED_SHAREDCACHE;

    /// <summary>Throws Microsoft.Data.Sqlite's exception for <paramref name="rc"/> unless it is a success code.</summary>
    public static void Check(int rc, IntPtr db)
    {
        if (rc is SQLITE_OK or SQLITE_ROW or SQLITE_DONE) return;
        Throw(rc, db);
    }

    // Apart, so that Microsoft.Data.Sqlite's assembly loads only when there is an error to report. Its
    // SqliteException.ThrowExceptionForRC, over a raw handle: the same message, codes and wording.
    [MethodImpl(MethodImplOptions.NoInlining)]
    [DoesNotReturn]
    private static void Throw(int rc, IntPtr db)
    {
        string message;
        int extended;
        if (db == IntPtr.Zero || rc != sqlite3_errcode(db))
        {
            message = Text(sqlite3_errstr(rc)) + " For more information on this error code see https://www.sqlite.org/rescode.html";
            extended = rc;
        }
        else
        {
            message = Text(sqlite3_errmsg(db)) ?? "";
            extended = sqlite3_extended_errcode(db);
        }
        throw new Microsoft.Data.Sqlite.SqliteException(
            string.Format(CultureInfo.InvariantCulture, "SQLite Error {0}: '{1}'.", rc, message), rc, extended);
    }
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
