using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Profiler.Domain;
using Profiler.Storage;
using static Profiler.Infrastructure.Sql.SummarySql;
using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// A store's per-trace summaries (docs/search.md): the tables (<see cref="SummarySql"/>), the writers' upserts, the
/// search and count on them, the summarising of traces another writer stored, and their removal with the traces.
/// </summary>
internal sealed class TraceSummaries(SqlDatabase database)
{
    /// <summary>Traces a summary statement writes (9 values each).</summary>
    private const int TracesPerStatement = 100;

    /// <summary>Term rows an INSERT writes (3 values each).</summary>
    private const int TermsPerStatement = 300;

    private volatile string? _unavailable = "not checked yet";

    /// <summary>Whether <see cref="_unavailable"/> is for good (a privilege or a read-only database), not a passing failure.</summary>
    private volatile bool _lasting;

    public SqlFlavor Flavor { get; } = FlavorOf(database.Dialect);

    /// <summary>Whether the summary tables exist and may be written (false when creating them failed).</summary>
    public bool Available => _unavailable is null;

    /// <summary>
    /// Whether <see cref="EnsureSchemaAsync"/> need not run again: the tables are there, or creating them failed for
    /// good. After a passing failure (a lock, a dropped connection, a concurrent creator) the next use tries again.
    /// </summary>
    public bool Settled => _unavailable is null || _lasting;

    /// <summary>How the writers merge, the search summarises, and reindex replaces.</summary>
    public enum Mode { Merge, IfAbsent, Replace }

    /// <summary>
    /// Creates the summary tables and indexes when missing: the one summary step of <see cref="SqlSchema.EnsureAsync"/>.
    /// A failure for good (<see cref="IsLasting"/>: no CREATE privilege, a read-only database) leaves the store working
    /// without search, which then says why; any other failure leaves <see cref="Settled"/> false, so the next use
    /// tries again (meanwhile writers skip the summaries, and <see cref="CatchUpAsync"/> later summarises what they wrote).
    /// </summary>
    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder))]
    public async Task EnsureSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            if (!await database.Dialect.HasTableAsync(connection, null, State, cancellationToken).ConfigureAwait(false))
                foreach (var statement in Ddl(Flavor))
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = statement;
                    try
                    {
                        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (DbException e) when (database.Dialect.IsAlreadyExists(e))
                    {
                        Log.SkippedDdl(database.Logger, statement, e.Message);
                    }
                }
            _unavailable = null;
        }
        catch (DbException e)
        {
            var lasting = IsLasting(e);
            _unavailable = database.ConnectionString.ScrubPassword(e.Message);
            _lasting = lasting;
            if (lasting) Log.SummariesUnavailable(database.Logger, database.Description, _unavailable);
            else Log.SummariesNotReadyYet(database.Logger, database.Description, _unavailable);
        }
    }

    /// <summary>
    /// Whether creating the summary tables failed for good: a missing privilege (MySQL/MariaDB 1142, 1044, 1045, 1227;
    /// PostgreSQL 42501) or a read-only database (MySQL 1290, 1792; PostgreSQL 25006; SQLite SQLITE_READONLY,
    /// SQLITE_CANTOPEN, SQLITE_AUTH). Anything else (a lock, a timeout, a dropped connection) may pass.
    /// </summary>
    internal static bool IsLasting(DbException e) => e switch
    {
        MySqlConnector.MySqlException m => m.Number is 1142 or 1044 or 1045 or 1227 or 1290 or 1792,
        Npgsql.PostgresException p => p.SqlState is "42501" or "25006",
        Microsoft.Data.Sqlite.SqliteException q => (q.SqliteErrorCode & 0xFF) is 8 or 14 or 23,
        _ => false,
    };

    /// <summary>The error of a search on a store whose summary tables could not be created.</summary>
    public TraceStoreException NotAvailable() => _lasting || _unavailable is null
        ? new($"Could not search {database.Description}: its summary tables ({Traces}, {Terms}, {State}) are missing and " +
              $"could not be created ({_unavailable}). Grant CREATE (and INSERT, UPDATE, DELETE on them) to the user, or create " +
              "them as docs/search.md shows, then run 'profiler reindex'.")
        : new($"Could not search {database.Description}: its summary tables ({Traces}, {Terms}, {State}) could not be " +
              $"checked or created just now ({_unavailable}); the next search tries again.");

    // ---- writing ------------------------------------------------------------------------------------------------

    /// <summary>Writes the digests of a batch inside the caller's transaction.</summary>
    public static async Task WriteAsync(DbConnection connection, DbTransaction? transaction, SqlFlavor flavor,
        IReadOnlyList<TraceDigest> digests, CancellationToken cancellationToken, Mode mode = Mode.Merge)
    {
        foreach (var command in Commands(connection, transaction, flavor, digests, mode, into: null))
            await using (command)
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Appends MySQL's statements merging the digests of a batch (<see cref="Mode.Merge"/>) to <paramref name="command"/>,
    /// after the statements it holds (separated by <c>;</c>), their parameters positional (<c>?</c>, bound after its
    /// own, which must be positional too): one round trip for all of them (the MySQL writer sends its batch id claim
    /// and these together).
    /// </summary>
    public static void AppendMerge(DbCommand command, IReadOnlyList<TraceDigest> digests) =>
        Commands(command.Connection!, command.Transaction, SqlFlavor.MySql, digests, Mode.Merge, into: command);

    /// <summary>
    /// The statements writing <paramref name="digests"/>, one command each; or, given <paramref name="into"/> (merge
    /// only), all of them appended to that one command, and none returned.
    /// </summary>
    private static List<DbCommand> Commands(DbConnection connection, DbTransaction? transaction, SqlFlavor flavor,
        IReadOnlyList<TraceDigest> digests, Mode mode, DbCommand? into)
    {
        // In base id order (terms by base id, kind, value): concurrent writers of the same traces then lock their rows in one
        // order, so they wait for each other instead of deadlocking. Terms first, the traces' upsert last: the upsert
        // holds each trace's row until the commit and a concurrent writer of the same trace waits for it, so it comes
        // right before the commit (measured on the bench's 4 writers of the same 100 traces: InnoDB's row lock waits
        // went from ~2 s to ~0.2 s a run).
        digests = [.. digests.OrderBy(d => d.BaseId, StringComparer.Ordinal)];
        if (into is not null && mode != Mode.Merge) throw new ArgumentException($"Only {Mode.Merge} appends to a command, not {mode}.", nameof(mode));
        // MySQL's one command binds by position: no names to make, nor for MySqlConnector to look up.
        var positional = into is not null;
        var commands = new List<DbCommand>();
        DbCommand New()
        {
            if (into is not null) return into;
            var c = connection.CreateCommand();
            c.Transaction = transaction;
            commands.Add(c);
            return c;
        }
        // Sets a statement's text, or appends it to the one command's.
        void Set(DbCommand command, string sql) =>
            command.CommandText = into is null || string.IsNullOrEmpty(command.CommandText) ? sql : command.CommandText + ";" + sql;
        if (mode == Mode.Replace)
            foreach (var chunk in digests.Chunk(SqlParameters.IdsPerStatement))
            {
                var ids = chunk.Select(d => d.BaseId).ToList();
                var t = New();
                t.CommandText = $"DELETE FROM {Traces} WHERE base_id IN ({SqlParameters.AddIds(t, ids)})";
                var x = New();
                x.CommandText = $"DELETE FROM {Terms} WHERE base_id IN ({SqlParameters.AddIds(x, ids)})";
            }
        var terms = digests.SelectMany(d => TermsOf(d).Select(t => (t.Kind, t.Value, d.BaseId)))
            .OrderBy(t => t.BaseId, StringComparer.Ordinal).ThenBy(t => t.Kind, StringComparer.Ordinal).ThenBy(t => t.Value, StringComparer.Ordinal)
            .ToList();
        foreach (var chunk in terms.Chunk(TermsPerStatement))
        {
            var command = New();
            var sql = new StringBuilder(InsertIgnore(flavor, Terms, "kind, value, base_id"));
            for (var i = 0; i < chunk.Length; i++)
            {
                sql.Append(i == 0 ? "(" : ",(");
                Text(command, sql, positional, chunk[i].Kind).Append(',');
                Text(command, sql, positional, chunk[i].Value).Append(',');
                Text(command, sql, positional, chunk[i].BaseId).Append(')');
            }
            sql.Append(InsertIgnoreEnd(flavor));
            Set(command, sql.ToString());
        }
        foreach (var chunk in digests.Chunk(TracesPerStatement))
        {
            var command = New();
            var sql = new StringBuilder(mode == Mode.IfAbsent
                ? InsertIgnore(flavor, Traces, TraceInsertColumns)
                : $"INSERT INTO {Traces} ({TraceInsertColumns}) VALUES ");
            for (var i = 0; i < chunk.Length; i++)
            {
                var d = chunk[i];
                // A digest without any time (never from a writer: points are validated) sorts last and merges away.
                var start = d.HasTime ? d.StartMicroseconds : long.MaxValue / 4;
                var stop = d.HasTime ? d.StopMicroseconds : long.MinValue / 4;
                sql.Append(i == 0 ? "(" : ",(");
                Text(command, sql, positional, d.BaseId).Append(',');
                Text(command, sql, positional, d.StartText).Append(',');
                Number(command, sql, positional, start).Append(',');
                Number(command, sql, positional, stop).Append(',');
                Number(command, sql, positional, d.HasTime ? stop - start : 0).Append(',');
                Text(command, sql, positional, Clip(d.Root)).Append(',');
                Number(command, sql, positional, d.Operations).Append(',');
                Number(command, sql, positional, d.Points).Append(',');
                Number(command, sql, positional, d.Error ? 1 : 0).Append(')');
            }
            sql.Append(mode == Mode.Merge ? MergeClause(flavor) : mode == Mode.IfAbsent ? InsertIgnoreEnd(flavor) : "");
            Set(command, sql.ToString());
        }
        return commands;
    }

    internal static IEnumerable<(string Kind, string Value)> TermsOf(TraceDigest d) =>
        d.Services.Select(v => ("s", v)).Concat(d.Projects.Select(v => ("p", v))).Concat(d.Hosts.Select(v => ("h", v)))
            .Concat(d.Names.Select(v => ("n", v))).Select(t => (t.Item1, Clip(t.Item2)!)).Distinct();

    /// <summary>Term values and roots longer than the column (255) are cut: a search for them then never matches.</summary>
    internal static string? Clip(string? value) => value is { Length: > 255 } ? value[..255] : value;

    /// <summary>Binds a text value and appends its placeholder: <c>?</c> when <paramref name="positional"/>, else <c>@vN</c>.</summary>
    private static StringBuilder Text(DbCommand command, StringBuilder sql, bool positional, string? value)
    {
        if (positional)
        {
            SqlParameters.Add(command, "", value);
            return sql.Append('?');
        }
        var name = "@v" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
        SqlParameters.Add(command, name, value);
        return sql.Append(name);
    }

    /// <summary>Binds a number and appends its placeholder, as <see cref="Text"/>.</summary>
    private static StringBuilder Number(DbCommand command, StringBuilder sql, bool positional, long value)
    {
        if (positional)
        {
            SqlParameters.Add(command, "", value);
            return sql.Append('?');
        }
        var name = "@v" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
        SqlParameters.Add(command, name, value);
        return sql.Append(name);
    }

    // ---- removing -----------------------------------------------------------------------------------------------

    /// <summary>Removes the summaries of the given traces (deleted ones) inside the caller's transaction.</summary>
    public async Task ForgetAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<string> ids,
        bool onlyWithoutPoints, CancellationToken cancellationToken)
    {
        if (!Available) return;
        foreach (var table in new[] { Traces, Terms })
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var list = SqlParameters.AddIds(command, ids);
            command.CommandText = $"DELETE FROM {table} WHERE base_id IN ({list})" +
                                  (onlyWithoutPoints ? $" AND base_id NOT IN (SELECT base_id FROM data WHERE base_id IN ({list}))" : "");
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // ---- summarising what another writer stored ----------------------------------------------------------------

    /// <summary>
    /// Summarises the traces with points stored since the last look (<c>data.id</c> above the mark in
    /// <c>profiler_summary_state</c>) that have no summary: OSProfiler's writes. Cheap when nothing is new: one
    /// range read on the primary key.
    /// </summary>
    public async Task CatchUpAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (!Available) throw NotAvailable();
        var from = await GetStateAsync(connection, "checked", cancellationToken).ConfigureAwait(false);
        long max;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT MAX(id) FROM data";
            var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            max = value is null or DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }
        if (max <= from) return;
        var missing = new List<string>();
        var stale = new List<string>();
        await using (var command = connection.CreateCommand())
        {
            // A trace with new points and no summary, or one that counts fewer points than the trace has: points stored
            // without their summary (OSProfiler, or a writer while the summary tables could not be checked).
            command.CommandText =
                $"SELECT n.base_id, CASE WHEN EXISTS (SELECT 1 FROM {Traces} t WHERE t.base_id = n.base_id) THEN 1 ELSE 0 END " +
                $"FROM (SELECT DISTINCT d.base_id FROM data d WHERE d.id > @from AND d.id <= @max AND d.base_id IS NOT NULL) n " +
                $"WHERE NOT EXISTS (SELECT 1 FROM {Traces} t WHERE t.base_id = n.base_id " +
                "AND t.points >= (SELECT COUNT(*) FROM data c WHERE c.base_id = n.base_id))";
            AddNumber(command, "@from", from);
            AddNumber(command, "@max", max);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                if (TracePointRules.IsSafeId(reader.GetString(0)))
                    (Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture) == 0 ? missing : stale).Add(reader.GetString(0));
        }
        foreach (var chunk in missing.Chunk(SqlParameters.IdsPerStatement))
            await SummariseAsync(connection, chunk, Mode.IfAbsent, cancellationToken).ConfigureAwait(false);
        foreach (var chunk in stale.Chunk(SqlParameters.IdsPerStatement))
            await SummariseAsync(connection, chunk, Mode.Replace, cancellationToken).ConfigureAwait(false);
        await SetStateAsync(connection, "checked", max, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rebuilds every trace's summary from its points; returns how many traces were summarised.</summary>
    public async Task<long> ReindexAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (!Available) throw NotAvailable();
        long max;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT MAX(id) FROM data";
            var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            max = value is null or DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }
        var ids = new List<string>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT DISTINCT base_id FROM data WHERE base_id IS NOT NULL";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                if (TracePointRules.IsSafeId(reader.GetString(0))) ids.Add(reader.GetString(0));
        }
        foreach (var table in new[] { Traces, Terms })
        {
            await using var orphans = connection.CreateCommand();
            orphans.CommandText = $"DELETE FROM {table} WHERE base_id NOT IN (SELECT base_id FROM data WHERE base_id IS NOT NULL)";
            await orphans.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var chunk in ids.Chunk(SqlParameters.IdsPerStatement))
            await SummariseAsync(connection, chunk, Mode.Replace, cancellationToken).ConfigureAwait(false);
        await SetStateAsync(connection, "checked", max, cancellationToken).ConfigureAwait(false);
        return ids.Count;
    }

    /// <summary>Reads the points of <paramref name="ids"/>, builds their digests and writes them in one transaction.</summary>
    public async Task<Dictionary<string, TraceDigest>> SummariseAsync(DbConnection connection, IReadOnlyList<string> ids,
        Mode mode, CancellationToken cancellationToken)
    {
        var digests = new Dictionary<string, TraceDigest>(StringComparer.Ordinal);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText =
                $"SELECT base_id, name, trace_id, parent_id, timestamp, project, service, host, {database.Dialect.DataAsText} " +
                $"FROM data WHERE base_id IN ({SqlParameters.AddIds(command, ids)}) ORDER BY id";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string? Get(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
                var baseId = reader.GetString(0);
                var name = Get(1);
                // Only a stop point's data can tell an error: the others are not decoded.
                var data = name is not null && name.EndsWith("-stop", StringComparison.Ordinal) ? OsProfilerData.Decode(Get(8)) : null;
                var point = StoredPoint.FromColumns(name, Get(2), Get(3), Get(4), Get(5), Get(6), Get(7), data);
                if (!digests.TryGetValue(baseId, out var digest)) digests.Add(baseId, digest = new TraceDigest(baseId));
                digest.Add(point);
            }
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await WriteAsync(connection, transaction, Flavor, digests.Values.ToList(), cancellationToken, mode).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return digests;
    }

    private static async Task<long> GetStateAsync(DbConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT value FROM {State} WHERE name = @name";
        SqlParameters.Add(command, "@name", name);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    private async Task SetStateAsync(DbConnection connection, string name, long value, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = SetState(Flavor);
        SqlParameters.Add(command, "@name", name);
        AddNumber(command, "@value", value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddNumber(DbCommand command, string name, long value) => SqlParameters.Add(command, name, value);

    // ---- searching ----------------------------------------------------------------------------------------------

    /// <summary>One row of a search: the summary columns a listing shows.</summary>
    public sealed record Row(string BaseId, string Timestamp, long DurationUs, string? Root, int Operations, bool Error);

    /// <summary>Appends the WHERE conditions of a query's filter (and errors-only) on <c>profiler_traces t</c>.</summary>
    private static void Where(DbCommand command, StringBuilder sql, TraceListQuery query)
    {
        sql.Append(" WHERE 1 = 1");
        var f = query.Filter ?? new TraceFilter();
        if (f.Since is { } since)
        {
            sql.Append(" AND t.start_ts >= @since");
            SqlParameters.Add(command, "@since", TraceTimestamp.FromDateTime(Utc(since)).ToString());
        }
        if (f.Until is { } until)
        {
            sql.Append(" AND t.start_ts <= @until");
            SqlParameters.Add(command, "@until", TraceTimestamp.FromDateTime(Utc(until)).ToString());
        }
        if (f.MinDuration is { } min)
        {
            sql.Append(" AND t.duration_us >= @mind");
            AddNumber(command, "@mind", TraceDigest.Microseconds(min));
        }
        if (f.MaxDuration is { } max)
        {
            sql.Append(" AND t.duration_us <= @maxd");
            AddNumber(command, "@maxd", TraceDigest.Microseconds(max));
        }
        if (query.ErrorsOnly) sql.Append(" AND t.error = 1");
        foreach (var (kind, value) in (ReadOnlySpan<(string, string?)>)[("s", f.Service), ("p", f.Project), ("h", f.Host), ("n", f.Name)])
        {
            if (value is null) continue;
            sql.Append($" AND EXISTS (SELECT 1 FROM {Terms} x WHERE x.kind = '{kind}' AND x.value = @t{kind} AND x.base_id = t.base_id)");
            SqlParameters.Add(command, "@t" + kind, value);
        }
    }

    private static DateTime Utc(DateTime time) => time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time;

    /// <summary>Up to <c>Limit + 1</c> summaries after the cursor that the filter keeps, newest start first.</summary>
    public static async Task<List<Row>> SearchAsync(DbConnection connection, TraceListQuery query, string? cursorTimestamp,
        string? cursorId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT t.base_id, t.start_ts, t.duration_us, t.root, t.operations, t.error FROM {Traces} t");
        Where(command, sql, query);
        if (cursorTimestamp is not null)
        {
            sql.Append(" AND (t.start_ts < @cts OR (t.start_ts = @cts AND t.base_id < @cid))");
            SqlParameters.Add(command, "@cts", cursorTimestamp);
            SqlParameters.Add(command, "@cid", cursorId);
        }
        sql.Append(" ORDER BY t.start_ts DESC, t.base_id DESC LIMIT ").Append((query.Limit + 1).ToString(CultureInfo.InvariantCulture));
        command.CommandText = sql.ToString();
        var rows = new List<Row>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add(ReadRow(reader));
        return rows;
    }

    private static Row ReadRow(DbDataReader reader) => new(reader.GetString(0), reader.GetString(1),
        Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture), reader.IsDBNull(3) ? null : reader.GetString(3),
        Convert.ToInt32(reader.GetValue(4), CultureInfo.InvariantCulture), Convert.ToInt64(reader.GetValue(5), CultureInfo.InvariantCulture) != 0);

    /// <summary>How many summaries the filter keeps.</summary>
    public static async Task<long> CountAsync(DbConnection connection, TraceListQuery query, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT COUNT(*) FROM {Traces} t");
        Where(command, sql, query);
        command.CommandText = sql.ToString();
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>The summaries of the given traces (those that have one).</summary>
    public static async Task<Dictionary<string, Row>> RowsAsync(DbConnection connection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        if (ids.Count == 0) return rows;
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT t.base_id, t.start_ts, t.duration_us, t.root, t.operations, t.error FROM {Traces} t " +
                              $"WHERE t.base_id IN ({SqlParameters.AddIds(command, ids)})";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = ReadRow(reader);
            rows[row.BaseId] = row;
        }
        return rows;
    }

    /// <summary>The services of the given traces, each list sorted ordinally.</summary>
    public static async Task<Dictionary<string, List<string>>> ServicesAsync(DbConnection connection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var services = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (ids.Count == 0) return services;
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT base_id, value FROM {Terms} WHERE kind = 's' AND base_id IN ({SqlParameters.AddIds(command, ids)})";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!services.TryGetValue(reader.GetString(0), out var list)) services.Add(reader.GetString(0), list = []);
            list.Add(reader.GetString(1));
        }
        foreach (var list in services.Values) list.Sort(StringComparer.Ordinal);
        return services;
    }
}
