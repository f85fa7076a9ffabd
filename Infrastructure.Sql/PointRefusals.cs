using System.Data.Common;
using MySqlConnector;
using Npgsql;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// Points a valid batch holds but table <c>data</c> cannot (a legacy latin1/utf8mb3 OSProfiler table and an emoji, a
/// LATIN1 PostgreSQL database and '€', a column shorter than a value): the server's data errors, which come back
/// the same on every attempt. The MySQL and PostgreSQL writers find those points by bisecting the batch under
/// savepoints in the batch's own transaction (<see cref="WriteAsync"/>, the loop both share), store the others with the
/// batch id (exactly once, as always) and throw
/// <see cref="TracePointsRefusedException"/> naming them; a retry of the batch finds the same points again (the
/// detection runs on every attempt) and, the batch id being stored, stores nothing and throws the same refusal.
/// SQLite enforces neither types nor character sets: it has none of these errors.
/// </summary>
internal static class PointRefusals
{
    /// <summary>
    /// Whether the server refused a row for its values, so that sending it again is refused again: MySQL/MariaDB 1366
    /// (incorrect string value: a character the column's character set lacks), 1406 (data too long), 1264 (out of
    /// range), 1292 (incorrect value), 1048 (a NOT NULL column the point has no value for), 3140 (invalid JSON, MySQL's
    /// JSON type), 4025 (a CHECK constraint, MariaDB's <c>json_valid</c>); PostgreSQL class 22 (data exception: 22P05
    /// untranslatable character, 22021 invalid byte sequence, 22001 too long…), 23502 (not null) and 23514 (check).
    /// </summary>
    public static bool IsPointsFault(DbException e) => e switch
    {
        MySqlException m => m.Number is 1366 or 1406 or 1264 or 1292 or 1048 or 3140 or 4025,
        PostgresException p => p.SqlState.StartsWith("22", StringComparison.Ordinal) || p.SqlState is "23502" or "23514",
        _ => false,
    };

    /// <summary>What <see cref="WriteAsync"/> came to.</summary>
    /// <param name="Stored">False when the batch id was there already (<c>finish</c> said so): nothing was written now.</param>
    /// <param name="Refused">The positions of the points the table refused (ascending), or null when it took them all.</param>
    /// <param name="RefusedBy">The server's error that refused them (null when none was).</param>
    public readonly record struct Written(bool Stored, List<int>? Refused, DbException? RefusedBy)
    {
        /// <summary>Throws <see cref="Refusal"/> when points were refused.</summary>
        public void ThrowIfRefused(SqlDatabase database, IReadOnlyList<TracePoint> points)
        {
            if (Refused is not null) throw Refusal(database, points, Refused, RefusedBy!);
        }
    }

    /// <summary>
    /// A MySQL or PostgreSQL writer's transaction loop around a batch of <paramref name="count"/> points: begins a
    /// transaction and inserts them all; when the table refuses some for their values (<see cref="IsPointsFault"/>),
    /// rolls back (the transaction's dispose), begins again and inserts the others, finding the refused ones by
    /// <see cref="FindAsync"/>. Then <paramref name="finish"/> (given the refused positions, or null) records the batch
    /// id, merges the summaries and commits, or returns false when the batch id was there already (the rollback is the
    /// dispose). Any other failure is thrown as it came.
    /// </summary>
    /// <param name="count">Points in the batch.</param>
    /// <param name="begin">Begins a transaction on the writer's connection.</param>
    /// <param name="insert">Inserts, inside the transaction, the points at the given positions (null: all, in order).</param>
    /// <param name="finish">Claims the batch id, merges the summaries and commits; false when already stored.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static async Task<Written> WriteAsync(int count, Func<CancellationToken, Task<DbTransaction>> begin,
        Func<DbTransaction, IReadOnlyList<int>?, CancellationToken, Task> insert,
        Func<DbTransaction, List<int>?, CancellationToken, Task<bool>> finish, CancellationToken cancellationToken)
    {
        DbException? refusedBy = null;
        while (true)
        {
            var transaction = await begin(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                List<int>? refused = null;
                if (refusedBy is null)
                {
                    try
                    {
                        await insert(transaction, null, cancellationToken).ConfigureAwait(false);
                    }
                    catch (DbException e) when (IsPointsFault(e))
                    {
                        // The rows inserted before the failure go with the rollback (the dispose; PostgreSQL's failed
                        // statement aborted the transaction): the next one finds the refused points.
                        refusedBy = e;
                        continue;
                    }
                }
                else
                {
                    refused = await FindAsync(transaction, Enumerable.Range(0, count).ToList(),
                        (rows, token) => insert(transaction, rows, token), cancellationToken).ConfigureAwait(false);
                    // Every row went in after all (the failure did not come back): the batch is stored whole.
                    if (refused.Count == 0) refused = null;
                }
                var stored = await finish(transaction, refused, cancellationToken).ConfigureAwait(false);
                return new Written(stored, refused, refused is null ? null : refusedBy);
            }
        }
    }

    /// <summary>
    /// The points of <paramref name="rows"/> (positions in the batch; their insert already failed with
    /// <see cref="IsPointsFault"/>) that the table refuses, in ascending order: halves are inserted under a savepoint
    /// and a failing half is split again, so the others end up inserted inside <paramref name="transaction"/>, in the
    /// batch's order. Any other failure is thrown as it came. Empty when every row went in after all.
    /// </summary>
    public static async Task<List<int>> FindAsync(DbTransaction transaction, IReadOnlyList<int> rows,
        Func<IReadOnlyList<int>, CancellationToken, Task> insert, CancellationToken cancellationToken)
    {
        const string savepoint = "profiler_rows";
        var refused = new List<int>();

        // Returns whether every row of the range went in.
        async Task<bool> VisitAsync(int start, int count, bool knownBad)
        {
            // A single row is refused only after failing by itself: a range is known to fail only by inference.
            if (!knownBad || count == 1)
            {
                var range = rows.Skip(start).Take(count).ToList();
                await transaction.SaveAsync(savepoint, cancellationToken).ConfigureAwait(false);
                try
                {
                    await insert(range, cancellationToken).ConfigureAwait(false);
                    await transaction.ReleaseAsync(savepoint, cancellationToken).ConfigureAwait(false);
                    return true;
                }
                catch (DbException e) when (IsPointsFault(e))
                {
                    await transaction.RollbackAsync(savepoint, cancellationToken).ConfigureAwait(false);
                    await transaction.ReleaseAsync(savepoint, cancellationToken).ConfigureAwait(false);
                }
            }
            if (count == 1)
            {
                refused.Add(rows[start]);
                return false;
            }
            var half = count / 2;
            var left = await VisitAsync(start, half, knownBad: false).ConfigureAwait(false);
            // A range known to fail whose left half went in fails in its right half.
            await VisitAsync(start + half, count - half, knownBad: knownBad && left).ConfigureAwait(false);
            return false;
        }

        await VisitAsync(0, rows.Count, knownBad: true).ConfigureAwait(false);
        refused.Sort();
        return refused;
    }

    /// <summary>The batch's points not in <paramref name="refused"/> (ascending), in order.</summary>
    public static List<TracePoint> Accepted(IReadOnlyList<TracePoint> points, List<int> refused)
    {
        var result = new List<TracePoint>(points.Count - refused.Count);
        var next = 0;
        for (var i = 0; i < points.Count; i++)
        {
            if (next < refused.Count && refused[next] == i) next++;
            else result.Add(points[i]);
        }
        return result;
    }

    private static string Postgres(PostgresException p) =>
        $"PostgreSQL error {p.SqlState}: {p.MessageText}" + (string.IsNullOrEmpty(p.Where) ? "" : $" ({p.Where})");

    /// <summary>The refusal: how many points, of which traces, the server's error (column and code), and what would help.</summary>
    public static TracePointsRefusedException Refusal(SqlDatabase database, IReadOnlyList<TracePoint> points, List<int> refused, DbException cause)
    {
        var traces = refused.Select(i => points[i].BaseId ?? "").Distinct(StringComparer.Ordinal).ToList();
        var shown = traces.Take(5).Select(t => $"'{TracePointRules.Show(t)}'");
        var more = traces.Count > 5 ? $" and {traces.Count - 5} more" : "";
        var (reason, help) = cause switch
        {
            MySqlException { Number: 1366 } m => ($"MySQL error {m.Number}: {m.Message}",
                "A character the column's character set lacks (an emoji in a latin1 or utf8mb3 table) needs the table in utf8mb4: " +
                "ALTER TABLE data CONVERT TO CHARACTER SET utf8mb4."),
            MySqlException m => ($"MySQL error {m.Number}: {m.Message}", ""),
            PostgresException { SqlState: "22P05" or "22021" } p => (Postgres(p),
                "A character the database's encoding lacks needs a database created with ENCODING 'UTF8'."),
            PostgresException p => (Postgres(p), ""),
            _ => (cause.Message, ""),
        };
        var message = $"Could not write {refused.Count} of {points.Count} trace point(s) to {database.Description}: table data cannot " +
                      $"hold them ({reason}); trace{(traces.Count > 1 ? "s" : "")} {string.Join(", ", shown)}{more}. The batch's other " +
                      $"points are stored. {help}";
        return new TracePointsRefusedException(database.ConnectionString.ScrubPassword(message.TrimEnd()), refused, cause);
    }
}
