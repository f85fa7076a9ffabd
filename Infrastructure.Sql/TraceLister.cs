using System.Data.Common;
using System.Text;
using Profiler.Storage;
using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// Lists traces from table <c>data</c>, newest first: one row a base id with its earliest timestamp, paged by
/// <see cref="ListCursor"/>, optionally only traces holding a failed operation, with the requested fields of each
/// trace's earliest point. Errors are found by query, whatever <see cref="DriverSettings.FilterErrorTrace"/> says
/// (contract decision D5).
/// </summary>
internal sealed class TraceLister(SqlDatabase database)
{
    /// <summary>Columns a listing field may name, read from a trace's earliest point.</summary>
    private static readonly string[] PointColumns = ["base_id", "timestamp", "name", "trace_id", "parent_id", "project", "service", "host"];

    /// <summary>A page of traces; a read that times out is sent once more (<see cref="SqlDatabase.ReadAsync"/>).</summary>
    public Task<TracePage> ListAsync(TraceListQuery query, CancellationToken cancellationToken)
    {
        var (cursorTimestamp, cursorId) = ListCursor.Parse(query.Cursor);
        return database.ReadAsync((connection, token) => ListAsync(connection, query, cursorTimestamp, cursorId, token), cancellationToken);
    }

    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    private async Task<TracePage> ListAsync(DbConnection connection, TraceListQuery query, string? cursorTimestamp, string? cursorId,
        CancellationToken cancellationToken)
    {
        var summaries = database.Summaries;
        var search = query.Filter is { IsEmpty: false };
        List<(string BaseId, string Timestamp)> page;
        Dictionary<string, TraceSummaries.Row>? rows = null;
        if (search)
        {
            // A search runs on the summary tables' indexes, after summarising what another writer stored meanwhile.
            if (!summaries.Available) throw summaries.NotAvailable();
            await summaries.CatchUpAsync(connection, cancellationToken).ConfigureAwait(false);
            var found = await TraceSummaries.SearchAsync(connection, query, cursorTimestamp, cursorId, cancellationToken).ConfigureAwait(false);
            page = found.Select(r => (r.BaseId, r.Timestamp)).ToList();
            rows = found.ToDictionary(r => r.BaseId, StringComparer.Ordinal);
        }
        else page = await PageAsync(connection, query, cursorTimestamp, cursorId, cancellationToken).ConfigureAwait(false);
        string? next = null;
        if (page.Count > query.Limit)
        {
            page.RemoveAt(page.Count - 1);
            next = ListCursor.Encode(page[^1].Timestamp, page[^1].BaseId);
        }
        // Loops, not LINQ, over the page's value tuples: those generic instantiations are compiled at run time.
        var ids = new List<string>(page.Count);
        foreach (var p in page) ids.Add(p.BaseId);
        var fields = query.Fields.Any(f => f is not ("base_id" or "timestamp"))
            ? await EarliestPointsAsync(connection, ids, cancellationToken).ConfigureAwait(false)
            : null;
        var (summaryRows, services, digests) = await SummariesOfAsync(connection, ids, rows, cancellationToken).ConfigureAwait(false);
        var traces = new List<TraceSummary>(page.Count);
        foreach (var p in page)
        {
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var f in query.Fields)
                values[f] = f switch
                {
                    "base_id" => p.BaseId,
                    "timestamp" => p.Timestamp,
                    _ => fields is not null && fields.TryGetValue(p.BaseId, out var row) ? row.GetValueOrDefault(f) : null,
                };
            var summary = new TraceSummary(p.BaseId, p.Timestamp, values);
            if (summaryRows.TryGetValue(p.BaseId, out var r))
                summary = summary with
                {
                    DurationMs = r.DurationUs / 1000.0, Root = r.Root, Operations = r.Operations, Error = r.Error,
                    Services = services.TryGetValue(p.BaseId, out var s) ? s : [],
                };
            else if (digests.TryGetValue(p.BaseId, out var d))
                summary = d.ToSummary(values) with { Timestamp = p.Timestamp };
            traces.Add(summary);
        }
        return new TracePage(traces, next);
    }

    /// <summary>How many traces a search keeps (<see cref="ITraceStoreSearch.CountTracesAsync"/>).</summary>
    public Task<long> CountAsync(TraceListQuery query, CancellationToken cancellationToken) =>
        database.ReadAsync(async (connection, token) =>
        {
            var summaries = database.Summaries;
            if (!summaries.Available) throw summaries.NotAvailable();
            await summaries.CatchUpAsync(connection, token).ConfigureAwait(false);
            return await TraceSummaries.CountAsync(connection, query, token).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Rebuilds every summary (<see cref="ITraceStoreSearch.ReindexAsync"/>).</summary>
    public async Task<long> ReindexAsync(CancellationToken cancellationToken)
    {
        var summaries = database.Summaries;
        await using var db = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (!summaries.Available) throw summaries.NotAvailable();
        try
        {
            return await summaries.ReindexAsync(db.Database.GetDbConnection(), cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw database.Failure(SqlOperation.Write, e);
        }
    }

    /// <summary>
    /// The summaries of a page's traces: those the search read, else the stored ones, else built now from the points
    /// (a trace another writer stored; written for next time when the store allows). A store whose summary tables
    /// cannot be read lists without them.
    /// </summary>
    private async Task<(Dictionary<string, TraceSummaries.Row> Rows, Dictionary<string, List<string>> Services, Dictionary<string, TraceDigest> Digests)>
        SummariesOfAsync(DbConnection connection, List<string> ids, Dictionary<string, TraceSummaries.Row>? rows, CancellationToken cancellationToken)
    {
        var summaries = database.Summaries;
        if (!summaries.Available || ids.Count == 0) return ([], [], []);
        try
        {
            rows ??= await TraceSummaries.RowsAsync(connection, ids, cancellationToken).ConfigureAwait(false);
            var services = await TraceSummaries.ServicesAsync(connection, ids, cancellationToken).ConfigureAwait(false);
            var missing = ids.Where(id => !rows.ContainsKey(id)).ToList();
            var digests = missing.Count == 0
                ? new Dictionary<string, TraceDigest>()
                : await summaries.SummariseAsync(connection, missing, TraceSummaries.Mode.IfAbsent, cancellationToken).ConfigureAwait(false);
            return (rows, services, digests);
        }
        catch (DbException e) when (!database.Dialect.IsTimeout(e))
        {
            // A timeout is no reason to list without summaries: the listing is sent once more instead.
            Log.SummariesUnreadable(database.Logger, database.Description, database.ConnectionString.ScrubPassword(e.Message));
            return ([], [], []);
        }
    }

    /// <summary>Up to <c>Limit + 1</c> traces after the cursor: base id and earliest timestamp, newest first.</summary>
    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    private async Task<List<(string BaseId, string Timestamp)>> PageAsync(DbConnection connection, TraceListQuery query,
        string? cursorTimestamp, string? cursorId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        // Groups on the indexed base_id; an error trace is one with a stop point whose data has info.etype.
        // A row without a base id (damaged, or written by hand) belongs to no trace.
        var sql = new StringBuilder("SELECT base_id, MIN(timestamp) AS ts FROM data WHERE base_id IS NOT NULL");
        if (query.ErrorsOnly)
        {
            // The key "etype" in either storage form: double-encoded (\"etype\":, as OSProfiler writes) or a plain object
            // ("etype":). Bound as parameters with '!' as the LIKE escape, so no server reads the backslash as one.
            var data = database.Dialect.DataAsText;
            sql.Append($" AND base_id IN (SELECT base_id FROM data WHERE name LIKE '%-stop' AND ({data} LIKE @etype1 ESCAPE '!' OR {data} LIKE @etype2 ESCAPE '!'))");
            SqlParameters.Add(command, "@etype1", "%\\\"etype\\\":%");
            SqlParameters.Add(command, "@etype2", "%\"etype\":%");
        }
        sql.Append(" GROUP BY base_id");
        if (cursorTimestamp is not null)
        {
            sql.Append(" HAVING MIN(timestamp) < @cts OR (MIN(timestamp) = @cts AND base_id < @cid)");
            SqlParameters.Add(command, "@cts", cursorTimestamp);
            SqlParameters.Add(command, "@cid", cursorId);
        }
        sql.Append(" ORDER BY ts DESC, base_id DESC LIMIT @limit");
        var limit = command.CreateParameter();
        limit.ParameterName = "@limit";
        limit.Value = query.Limit + 1;
        command.Parameters.Add(limit);
        command.CommandText = sql.ToString();
        var page = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            page.Add((reader.GetString(0), reader.IsDBNull(1) ? "" : reader.GetString(1)));
        return page;
    }

    /// <summary>
    /// The columns of each trace's earliest point: the smallest timestamp, and on equal timestamps the one stored
    /// first, the smallest id (contract decision D3).
    /// </summary>
    private static async Task<Dictionary<string, Dictionary<string, string?>>> EarliestPointsAsync(
        DbConnection connection, List<string> baseIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, Dictionary<string, string?>>(StringComparer.Ordinal);
        foreach (var chunk in baseIds.Chunk(SqlParameters.IdsPerStatement))
        {
            await using var command = connection.CreateCommand();
            command.CommandText =
                $"SELECT d.{string.Join(", d.", PointColumns)} FROM data d " +
                $"JOIN (SELECT base_id, MIN(timestamp) AS ts FROM data WHERE base_id IN ({SqlParameters.AddIds(command, chunk)}) GROUP BY base_id) m " +
                "ON d.base_id = m.base_id AND d.timestamp = m.ts ORDER BY d.id";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetString(0);
                if (result.ContainsKey(id)) continue; // a later-stored point at the same timestamp
                var row = new Dictionary<string, string?>(StringComparer.Ordinal);
                for (var i = 0; i < PointColumns.Length; i++) row[PointColumns[i]] = reader.IsDBNull(i) ? null : reader.GetString(i);
                result[id] = row;
            }
        }
        return result;
    }
}
