namespace Profiler.Infrastructure.Sql;

/// <summary>
/// Base-id comparisons that tell ids differing only in case apart on every server. SQLite and PostgreSQL compare
/// text exactly; on MySQL/MariaDB the <c>data</c> table's columns take the database's collation (OSProfiler's schema
/// sets none), which is case-insensitive (<c>utf8mb4_general_ci</c>, <c>latin1_swedish_ci</c>, …), so
/// <c>base_id = 'Req-1'</c> also matches <c>req-1</c>. There each comparison keeps the plain one, so the
/// <c>base_id</c> index still finds the rows, and adds the same comparison on the bytes
/// (<c>CAST(base_id AS BINARY)</c>, whatever the column's character set; ids are ASCII, <see cref="Profiler.Storage.TracePointRules.IsSafeId"/>).
/// </summary>
internal static class BaseIdSql
{
    /// <summary><c>(column = value)</c>, exact on MySQL too; <paramref name="value"/> is a parameter or a column.</summary>
    public static string Equal(SqlDialect dialect, string column, string value) =>
        dialect is MySqlDialect ? $"({column} = {value} AND {Exact(column)} = {Exact(value)})" : $"{column} = {value}";

    /// <summary><c>(column IN (list))</c>, exact on MySQL too; <paramref name="list"/> is the parameter list.</summary>
    public static string In(SqlDialect dialect, string column, string list) =>
        dialect is MySqlDialect ? $"({column} IN ({list}) AND {Exact(column)} IN ({list}))" : $"{column} IN ({list})";

    /// <summary>
    /// The expression that tells ids apart exactly, e.g. for <c>COUNT(DISTINCT …)</c> over rows an <see cref="In"/>
    /// or <see cref="Equal"/> already found by the index: the column itself, or on MySQL its bytes (a whole-table
    /// <c>DISTINCT</c> or <c>ORDER BY</c> on it loses the index: see <see cref="TraceLifecycle"/>).
    /// </summary>
    public static string Key(SqlDialect dialect, string column) => dialect is MySqlDialect ? Exact(column) : column;

    private static string Exact(string expression) => $"CAST({expression} AS BINARY)";
}
