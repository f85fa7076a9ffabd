using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Profiler.Domain;
using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// SQLite's write path. Group commit, for an embedded database with one writer at a time: a batch joins the queue;
/// whoever holds the write gate commits everything queued in one transaction (through <see cref="SqliteRowWriter"/>)
/// and completes each batch's call. Each call still returns only once its rows are committed, and a batch is never
/// split. Concurrent writers then share one commit (one set of rewritten index pages in the WAL) instead of queueing
/// on SQLite's lock. When a shared commit fails, each batch of it is retried alone, so that a bad batch fails by
/// itself. After commits, checkpoints run in the background (<see cref="CheckpointAfterRows"/>).
/// </summary>
internal sealed class SqliteTraceWriter(SqlDatabase database) : ITraceWriter
{
    /// <summary>
    /// Rows committed after which a write starts a checkpoint in the background: some 50 MiB of write-ahead log with
    /// OSProfiler's eight indexes (a row rewrites about 1 KiB of pages in the log).
    /// </summary>
    public const int CheckpointAfterRows = 50_000;

    /// <summary>Rows committed since the last checkpoint began after which a write waits for one (the background not keeping up).</summary>
    public const int CheckpointNowRows = 4 * CheckpointAfterRows;

    private readonly SqlBatchLog _batches = new(database);
    private readonly Lock _pendingLock = new();
    private List<PendingWrite> _pending = [];
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private long _rowsSinceCheckpoint;
    private Task _checkpoint = Task.CompletedTask;

    /// <summary>A batch waiting to be written; done when its rows are committed.</summary>
    private sealed class PendingWrite(IReadOnlyList<TracePoint> points, Guid batchId)
    {
        public IReadOnlyList<TracePoint> Points { get; } = points;
        public Guid BatchId { get; } = batchId;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        var write = new PendingWrite(points, batchId);
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
            await using var db = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            await _batches.EnsureTableAsync(connection, cancellationToken).ConfigureAwait(false);
            try
            {
                Insert(connection, group, cancellationToken);
                foreach (var w in group) w.Done.TrySetResult();
                await AfterCommitAsync(group.Sum(w => w.Points.Count)).ConfigureAwait(false);
                await _batches.PruneIfDueAsync(connection, cancellationToken).ConfigureAwait(false);
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
                    Insert(connection, [w], cancellationToken);
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

    /// <summary>
    /// Writes the batches of a group in one transaction, all or none; exactly once: a batch whose id is in
    /// <see cref="SqlBatchLog"/> (stored before, or earlier in this group) adds no rows.
    /// </summary>
    private void Insert(SqliteConnection connection, IReadOnlyList<PendingWrite> group, CancellationToken cancellationToken)
    {
        IReadOnlyList<TracePoint> Claim()
        {
            if (group.Count == 1) return SqlBatchLog.ClaimSqlite(connection, group[0].BatchId) ? group[0].Points : [];
            var points = new List<TracePoint>();
            foreach (var w in group)
                if (SqlBatchLog.ClaimSqlite(connection, w.BatchId)) points.AddRange(w.Points);
            return points;
        }
        try
        {
            // SQLite runs in this process: its calls complete synchronously, so there is nothing to await. The
            // summaries only when their tables are there (a store whose CREATE TABLE failed still stores points).
            SqliteRowWriter.Write(connection, Claim, database.Settings, database.Summaries.Available, cancellationToken);
        }
        catch (DbException e)
        {
            throw database.Failure(SqlOperation.Write, e);
        }
    }

    /// <summary>
    /// Keeps the write-ahead log short without stalling writers (the connections run with
    /// <c>wal_autocheckpoint=0</c>; <see cref="SqliteDialect.OnConnectionOpenedAsync"/>): every
    /// <see cref="CheckpointAfterRows"/> rows a PASSIVE checkpoint runs on its own connection in the background (it
    /// copies committed pages into the database while writers go on appending; the log is then reused from its
    /// start). Past <see cref="CheckpointNowRows"/> rows the writer waits for one, so the log stays bounded even when
    /// readers hold checkpoints back. Called by one writer at a time (under the write gate).
    /// </summary>
    private async Task AfterCommitAsync(int rows)
    {
        _rowsSinceCheckpoint += rows;
        if (_rowsSinceCheckpoint < CheckpointAfterRows) return;
        if (_checkpoint.IsCompleted)
        {
            _rowsSinceCheckpoint = 0;
            _checkpoint = Task.Run(CheckpointAsync);
        }
        else if (_rowsSinceCheckpoint >= CheckpointNowRows)
            await _checkpoint.ConfigureAwait(false);
    }

    private async Task CheckpointAsync()
    {
        try
        {
            await using var connection = new SqliteConnection(database.ProviderConnectionString);
            await connection.OpenAsync().ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (SqliteException e)
        {
            // A busy or failed checkpoint only leaves the log longer; the next write past the threshold tries again.
            Log.CheckpointFailed(database.Logger, database.Description, e.Message);
        }
    }

    /// <summary>Waits for the checkpoint in progress, if any.</summary>
    [AsyncMethodBuilder(typeof(InlineStartValueTaskBuilder))]
    public async ValueTask DisposeAsync() => await _checkpoint.ConfigureAwait(false);
}
