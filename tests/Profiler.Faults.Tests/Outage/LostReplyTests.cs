using Profiler.Domain;
using Profiler.Infrastructure.Redis;
using Profiler.Infrastructure.Sql;
using Profiler.Instrumentation;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Outage;

/// <summary>
/// Issue 14: exactly once. The store is reached through a <see cref="FaultProxy"/> that lets a write through to the
/// real server, drops the server's reply to it and cuts the connection: the server stored the batch, the notifier saw
/// a failure and sends the batch again, under the same batch id. Counted point by point, every point is stored once.
/// (SQLite runs in-process and cannot lose a reply; the SQL servers stand for the SQL driver.)
/// </summary>
public sealed class LostReplyTests(ITestOutputHelper output)
{
    /// <summary>Faults per test: each one a batch whose reply was lost.</summary>
    private const int Cuts = 3;

    /// <summary>Scopes (two points each) per round of traffic.</summary>
    private const int ScopesPerRound = 150;

    /// <summary>Backstop for each wait; the waits themselves end on the event (a cut, a flush), whatever the load.</summary>
    private static readonly TimeSpan Backstop = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task On_Redis_a_batch_whose_reply_was_lost_after_the_server_stored_it_is_stored_once()
    {
        using var redis = new RedisProcess();
        await using var proxy = new FaultProxy(redis.Port);
        // Patient (Patient.Settings): OSProfiler's 0.1 s default gives 2 s operations, which a write (the scripts' first
        // run) or the read-back of the traces can exceed on a busy machine. The lost reply is a cut connection, seen at
        // once whatever the timeout.
        await using var store = new RedisDriver().Open(ConnectionString.Parse($"redis://127.0.0.1:{proxy.Port}/0"), Patient.Settings);
        // Every write is one MULTI (LPUSHes, EVAL of WriteTrace.lua) ending with EXEC on a single server:
        // the +QUEUED lines pass, and the EXEC's own reply (an array, the first '*' of the replies) is the one lost,
        // after the server applied the transaction.
        // After each cut the retry found its batch key set (the lost write had been applied) and took its pushes off
        // again: LTRIMs counted by the server (the store's no-op LTRIM before its first write is counted before the cuts).
        long Trims()
        {
            var calls = System.Text.RegularExpressions.Regex.Match(redis.Cli("INFO", "commandstats"), @"cmdstat_ltrim:calls=(\d+)");
            return calls.Success ? long.Parse(calls.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        }
        await RunAsync(store, proxy, "EXEC", "Redis", replyMarker: "*", appliedBeforeCut: Trims);
    }

    [Fact]
    public async Task On_MariaDB_a_batch_whose_commit_reply_was_lost_is_stored_once()
    {
        using var server = new MariaDbServer();
        await using var proxy = new FaultProxy(server.Port);
        var url = $"mysql+pymysql://{MariaDbServer.User}:{MariaDbServer.Password}@127.0.0.1:{proxy.Port}/{server.CreateDatabase()}?ssl_mode=disabled";
        await using var store = new MySqlDriver().Open(ConnectionString.Parse(url), Patient.Settings);
        // The reply to the COMMIT is lost: the transaction holding the rows and the batch id was committed.
        await RunAsync(store, proxy, "COMMIT", "MariaDB");
    }

    [Fact]
    public async Task On_PostgreSQL_a_batch_whose_commit_reply_was_lost_is_stored_once()
    {
        using var server = new PostgresServer();
        await using var proxy = new FaultProxy(server.Port);
        var url = $"postgresql://{PostgresServer.User}:{PostgresServer.Password}@127.0.0.1:{proxy.Port}/{server.CreateDatabase()}?sslmode=disable";
        await using var store = new PostgresDriver().Open(ConnectionString.Parse(url), Patient.Settings);
        await RunAsync(store, proxy, "COMMIT", "PostgreSQL");
    }

    /// <param name="appliedBeforeCut">A count the server keeps that a retry of an applied write raises (null: not checked).</param>
    private async Task RunAsync(ITraceStore store, FaultProxy proxy, string marker, string backend, string? replyMarker = null,
        Func<long>? appliedBeforeCut = null)
    {
        await using var service = new ProfiledService(store, bufferSize: 100_000, batchSize: 100);
        var notifier = service.Notifier;
        var baseIds = new List<string>();
        long generated = 0;

        // Several traces a round, so that a batch spans traces (one batch key covers them all).
        async Task RoundAsync()
        {
            var profilers = Enumerable.Range(0, 3).Select(_ => new TraceProfiler("SECRET_KEY", notifier)).ToList();
            baseIds.AddRange(profilers.Select(p => p.BaseId));
            for (var i = 0; i < ScopesPerRound; i++)
                using (profilers[i % profilers.Count].Trace("op", new System.Text.Json.Nodes.JsonObject { ["n"] = i })) { }
            generated += 2 * ScopesPerRound;
            Assert.True(await notifier.FlushAsync(Backstop), $"not flushed: {notifier.QueuedCount} queued, {notifier.FailedAttempts} failed attempts");
        }

        // A first round without fault: the connection (and Redis's script cache, the SQL side table) is in place.
        await RoundAsync();
        var dropped = new List<int>();
        for (var c = 0; c < Cuts; c++)
        {
            var before = appliedBeforeCut?.Invoke();
            var cut = proxy.CutAfterReplyTo(marker, replyMarker);
            var round = RoundAsync();
            dropped.Add(await cut.WaitAsync(Backstop));
            await round.WaitAsync(Backstop);
            if (before is { } count)
                Assert.True(appliedBeforeCut!() > count, $"cut {c + 1}: the retry did not find its batch stored (the write was not applied before its reply was lost)");
        }

        var stored = await StoredCount.ReadAsync(store, baseIds);
        Figures.Print(output, $"{backend}: replies to {Cuts} stored writes lost, connections cut:",
            ("points generated", generated),
            ("points stored", stored.Points),
            ("points stored (distinct)", stored.Distinct),
            ("points stored twice", stored.Duplicates),
            ("failed store attempts", notifier.FailedAttempts),
            ("reply bytes dropped", string.Join(", ", dropped)),
            ("connections accepted", proxy.Accepted));

        Assert.Equal(Cuts, proxy.Cuts);
        Assert.All(dropped, bytes => Assert.True(bytes > 0));
        Assert.True(notifier.FailedAttempts >= Cuts, $"only {notifier.FailedAttempts} failed attempts for {Cuts} lost replies");
        Assert.Equal(0, notifier.DroppedCount);
        Assert.Equal(0, notifier.RejectedCount);
        Assert.Equal(generated, notifier.SentCount);
        Assert.Equal(0, stored.Unreadable);
        Assert.Equal(0, stored.Duplicates);
        Assert.Equal(generated, stored.Distinct);
        Assert.Equal(generated, stored.Points);
    }
}
