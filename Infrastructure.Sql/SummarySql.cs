namespace Profiler.Infrastructure.Sql;

/// <summary>The SQL server families whose summary SQL differs (upsert syntax, DDL of indexes).</summary>
internal enum SqlFlavor
{
    Sqlite,
    MySql,
    Postgres,
}

/// <summary>
/// Plain SQL of the per-trace summary tables (docs/search.md), per server family: the DDL that
/// <see cref="SqlSchema"/> runs beside table <c>data</c> (one step, <see cref="TraceSummaries.EnsureSchemaAsync"/>),
/// and the upserts the writers run in their own transaction. OSProfiler never reads these tables.
/// </summary>
/// <remarks>
/// <c>profiler_traces</c>: one row a trace (start as OSProfiler's text and in µs since the epoch, stop, duration,
/// root operation, operation and point counts, error flag), indexed by (start, base id) for newest-first pages and by
/// duration. <c>profiler_trace_terms</c>: (kind, value, base id) for each distinct service (<c>s</c>), project
/// (<c>p</c>), host (<c>h</c>) and operation name (<c>n</c>) of a trace, its primary key the index a filter probes.
/// <c>profiler_summary_state</c>: how far (<c>data.id</c>) the search has looked for traces without a summary.
/// </remarks>
internal static class SummarySql
{
    public const string Traces = "profiler_traces";
    public const string Terms = "profiler_trace_terms";
    public const string State = "profiler_summary_state";

    private const string TraceColumns =
        "base_id varchar(255) NOT NULL, start_ts varchar(26) NOT NULL, start_us bigint NOT NULL, stop_us bigint NOT NULL, " +
        "duration_us bigint NOT NULL, root varchar(255), operations integer NOT NULL, points integer NOT NULL, error integer NOT NULL";

    private const string TermColumns = "kind char(1) NOT NULL, value varchar(255) NOT NULL, base_id varchar(255) NOT NULL";

    public static SqlFlavor FlavorOf(SqlDialect dialect) => dialect switch
    {
        SqliteDialect => SqlFlavor.Sqlite,
        PostgresDialect => SqlFlavor.Postgres,
        _ => SqlFlavor.MySql,
    };

    /// <summary>The statements creating the three tables and their indexes when missing (idempotent).</summary>
    public static string[] Ddl(SqlFlavor flavor) => flavor == SqlFlavor.MySql
        ?
        [
            $"CREATE TABLE IF NOT EXISTS {Traces} ({TraceColumns}, PRIMARY KEY (base_id), " +
            "INDEX ix_profiler_traces_start (start_ts, base_id), INDEX ix_profiler_traces_duration (duration_us))",
            $"CREATE TABLE IF NOT EXISTS {Terms} ({TermColumns}, PRIMARY KEY (kind, value, base_id), INDEX ix_profiler_trace_terms_base (base_id))",
            $"CREATE TABLE IF NOT EXISTS {State} (name varchar(32) NOT NULL, value bigint NOT NULL, PRIMARY KEY (name))",
        ]
        :
        [
            $"CREATE TABLE IF NOT EXISTS {Traces} ({TraceColumns}, PRIMARY KEY (base_id))",
            $"CREATE INDEX IF NOT EXISTS ix_profiler_traces_start ON {Traces} (start_ts, base_id)",
            $"CREATE INDEX IF NOT EXISTS ix_profiler_traces_duration ON {Traces} (duration_us)",
            $"CREATE TABLE IF NOT EXISTS {Terms} ({TermColumns}, PRIMARY KEY (kind, value, base_id))",
            $"CREATE INDEX IF NOT EXISTS ix_profiler_trace_terms_base ON {Terms} (base_id)",
            $"CREATE TABLE IF NOT EXISTS {State} (name varchar(32) NOT NULL, value bigint NOT NULL, PRIMARY KEY (name))",
        ];

    /// <summary>Columns of a <c>profiler_traces</c> row as the upserts bind them.</summary>
    public const string TraceInsertColumns = "base_id, start_ts, start_us, stop_us, duration_us, root, operations, points, error";

    /// <summary>
    /// What follows <c>INSERT INTO profiler_traces (…) VALUES …</c> to merge a batch's digest into the row a trace may
    /// have: the earlier start (and its root) wins, the later stop, counts add up, an error stays. MySQL assigns left to
    /// right with the updated values, so root, start text and duration come before start and stop there.
    /// </summary>
    public static string MergeClause(SqlFlavor flavor) => flavor switch
    {
        SqlFlavor.MySql =>
            " ON DUPLICATE KEY UPDATE root = IF(VALUES(start_us) < start_us, VALUES(root), root)," +
            " start_ts = IF(VALUES(start_us) < start_us, VALUES(start_ts), start_ts)," +
            " duration_us = GREATEST(stop_us, VALUES(stop_us)) - LEAST(start_us, VALUES(start_us))," +
            " start_us = LEAST(start_us, VALUES(start_us)), stop_us = GREATEST(stop_us, VALUES(stop_us))," +
            " operations = operations + VALUES(operations), points = points + VALUES(points), error = GREATEST(error, VALUES(error))",
        _ => Merge(flavor == SqlFlavor.Sqlite ? "min" : "LEAST", flavor == SqlFlavor.Sqlite ? "max" : "GREATEST"),
    };

    private static string Merge(string least, string greatest) =>
        $" ON CONFLICT (base_id) DO UPDATE SET" +
        $" root = CASE WHEN excluded.start_us < {Traces}.start_us THEN excluded.root ELSE {Traces}.root END," +
        $" start_ts = CASE WHEN excluded.start_us < {Traces}.start_us THEN excluded.start_ts ELSE {Traces}.start_ts END," +
        $" duration_us = {greatest}({Traces}.stop_us, excluded.stop_us) - {least}({Traces}.start_us, excluded.start_us)," +
        $" start_us = {least}({Traces}.start_us, excluded.start_us), stop_us = {greatest}({Traces}.stop_us, excluded.stop_us)," +
        $" operations = {Traces}.operations + excluded.operations, points = {Traces}.points + excluded.points," +
        $" error = {greatest}({Traces}.error, excluded.error)";

    /// <summary>The start of an INSERT that skips rows whose key exists (terms; on-demand summaries).</summary>
    public static string InsertIgnore(SqlFlavor flavor, string table, string columns) => flavor switch
    {
        SqlFlavor.Sqlite => $"INSERT OR IGNORE INTO {table} ({columns}) VALUES ",
        SqlFlavor.MySql => $"INSERT IGNORE INTO {table} ({columns}) VALUES ",
        _ => $"INSERT INTO {table} ({columns}) VALUES ",
    };

    /// <summary>What ends an <see cref="InsertIgnore"/> statement.</summary>
    public static string InsertIgnoreEnd(SqlFlavor flavor) => flavor == SqlFlavor.Postgres ? " ON CONFLICT DO NOTHING" : "";

    /// <summary>Sets a state value (name, value).</summary>
    public static string SetState(SqlFlavor flavor) => flavor switch
    {
        SqlFlavor.MySql => $"INSERT INTO {State} (name, value) VALUES (@name, @value) ON DUPLICATE KEY UPDATE value = VALUES(value)",
        _ => $"INSERT INTO {State} (name, value) VALUES (@name, @value) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    };
}
