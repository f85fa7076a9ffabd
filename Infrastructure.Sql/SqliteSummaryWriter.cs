using System.Text;
using Microsoft.Data.Sqlite;
using Profiler.Storage;
using SQLitePCL;
using static Profiler.Infrastructure.Sql.SummarySql;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// SQLite's summary upserts (<see cref="TraceSummaries"/>) in the writer's transaction: one prepared single-row upsert
/// of <c>profiler_traces</c> and one of <c>profiler_trace_terms</c>, stepped once per trace and per term through
/// SQLitePCLRaw with positional parameters, as <see cref="SqliteRowWriter"/> writes rows. (Multi-row statements with
/// named parameters cost far more here: binding looks each name up among all of the statement's.)
/// </summary>
internal static class SqliteSummaryWriter
{
    private static readonly string UpsertTrace =
        $"INSERT INTO {Traces} ({TraceInsertColumns}) VALUES (?,?,?,?,?,?,?,?,?)" + MergeClause(SqlFlavor.Sqlite);

    private static readonly string InsertTerm = InsertIgnore(SqlFlavor.Sqlite, Terms, "kind, value, base_id") + "(?,?,?)";

    public static void Write(SqliteConnection connection, IReadOnlyList<TraceDigest> digests)
    {
        var db = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(db, UpsertTrace, out var trace), db);
        using (trace)
        {
            foreach (var d in digests)
            {
                var start = d.HasTime ? d.StartMicroseconds : long.MaxValue / 4;
                var stop = d.HasTime ? d.StopMicroseconds : long.MinValue / 4;
                Text(trace, db, 1, d.BaseId);
                Text(trace, db, 2, d.StartText);
                Check(raw.sqlite3_bind_int64(trace, 3, start), db);
                Check(raw.sqlite3_bind_int64(trace, 4, stop), db);
                Check(raw.sqlite3_bind_int64(trace, 5, d.HasTime ? stop - start : 0), db);
                Text(trace, db, 6, TraceSummaries.Clip(d.Root));
                Check(raw.sqlite3_bind_int64(trace, 7, d.Operations), db);
                Check(raw.sqlite3_bind_int64(trace, 8, d.Points), db);
                Check(raw.sqlite3_bind_int64(trace, 9, d.Error ? 1 : 0), db);
                Step(trace, db);
            }
        }
        Check(raw.sqlite3_prepare_v2(db, InsertTerm, out var term), db);
        using (term)
        {
            foreach (var d in digests)
                foreach (var (kind, value) in TraceSummaries.TermsOf(d))
                {
                    Text(term, db, 1, kind);
                    Text(term, db, 2, value);
                    Text(term, db, 3, d.BaseId);
                    Step(term, db);
                }
        }
    }

    private static void Step(sqlite3_stmt statement, sqlite3 db)
    {
        var rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, db);
    }

    private static void Text(sqlite3_stmt statement, sqlite3 db, int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(statement, index) : raw.sqlite3_bind_text(statement, index, Encoding.UTF8.GetBytes(value)), db);

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, db);
    }
}
