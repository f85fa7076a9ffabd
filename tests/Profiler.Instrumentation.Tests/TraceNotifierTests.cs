using System.Text.Json.Nodes;
using Profiler.Testing;
using Microsoft.Extensions.Logging;
using Profiler.Application.Common;
using Profiler.Domain;

namespace Profiler.Instrumentation.Tests;

public sealed class TraceNotifierTests
{
    /// <summary>How long a test waits for the notifier's background work: generous for a loaded machine.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    private static TraceNotifierOptions Fast(int buffer = 10_000, int batch = 100) => new()
    {
        BufferSize = buffer,
        BatchSize = batch,
        MinRetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        // Disposing flushes within this: generous, so that a loaded machine does not make a test's points drop.
        FlushTimeout = TimeSpan.FromMinutes(2),
    };

    private static Task Eventually(Func<bool> condition, string what) => Waiting.UntilAsync(condition, what, Wait);

    [Fact]
    public async Task Points_reach_the_store_through_the_record_command_with_project_and_service()
    {
        var store = new FakeTraceStore();
        await using var notifier = new TraceNotifier(store.Mediator(), new TraceNotifierOptions { Project = "nova", Service = "api" });
        var profiler = new TraceProfiler("k", notifier, "base");
        for (var i = 0; i < 10; i++) using (profiler.Trace("db")) { }
        Assert.True(await notifier.FlushAsync(Wait));
        Assert.Equal(20, store.Points.Count);
        Assert.Equal(20, notifier.SentCount);
        Assert.All(store.Points, p => Assert.Equal(("nova", "api", "base"), (p.Project, p.Service, p.BaseId)));
    }

    [Fact]
    public async Task A_failing_store_never_reaches_the_caller_and_buffered_points_arrive_after_it_recovers()
    {
        var store = new FakeTraceStore { Failing = true };
        await using var notifier = new TraceNotifier(store.Mediator(), Fast());
        var profiler = new TraceProfiler("k", notifier);
        for (var i = 0; i < 50; i++) using (profiler.Trace("db")) { }
        await Eventually(() => notifier.FailedAttempts >= 3, "retries");
        Assert.Empty(store.Points);
        Assert.Equal(0, notifier.DroppedCount);

        store.Failing = false;
        Assert.True(await notifier.FlushAsync(Wait));
        Assert.Equal(100, store.Points.Count);
        Assert.Equal(100, store.Points.Select(p => (p.TraceId, p.Name)).Distinct().Count());
    }

    [Fact]
    public async Task Trace_returns_at_once_while_the_store_hangs_and_drops_are_counted_and_logged_when_the_buffer_is_full()
    {
        var store = new FakeTraceStore();
        store.Hang();
        var logger = new ListLogger();
        var options = new TraceNotifierOptions { BufferSize = 100, BatchSize = 10, LogInterval = TimeSpan.FromMilliseconds(50) };
        await using var notifier = new TraceNotifier(store.Mediator(), options, logger);
        var profiler = new TraceProfiler("k", notifier);

        // No call waits for the hanging store: the 500 scopes finish (a backstop far beyond any load turns a blocked call
        // into a failure instead of a hung run), and what did not fit the buffer is dropped, not waited for.
        // Per-call latency is measured by `profiler bench overhead`, not here.
        await Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
                using (profiler.Trace("db")) { }
        }).WaitAsync(TimeSpan.FromMinutes(2));

        await Eventually(() => store.Writes >= 1, "the batcher to reach the hanging store");
        var dropped = notifier.DroppedCount;
        Assert.InRange(dropped, 1000 - 100 - 10, 1000 - 100);
        await Eventually(() => logger.Lines.Any(l => l.Contains("dropped") && l.Contains("buffer of 100")), "a drop warning");

        store.Release();
        Assert.True(await notifier.FlushAsync(Wait));
        Assert.Equal(1000 - dropped, store.Points.Count);
        Assert.Equal(dropped, notifier.DroppedCount);
    }

    [Fact]
    public async Task A_batch_whose_reply_was_lost_is_retried_under_the_same_batch_id_and_stored_once()
    {
        var store = new FakeTraceStore { LoseReplies = 2 };
        await using var notifier = new TraceNotifier(store.Mediator(), Fast(batch: 1000));
        var profiler = new TraceProfiler("k", notifier);
        for (var i = 0; i < 10; i++) using (profiler.Trace("db")) { }

        Assert.True(await notifier.FlushAsync(Wait));

        // Stored by the first attempt, whose reply was lost twice: three attempts of the first batch under one batch id,
        // one copy. (The batcher may have taken the first points before the rest were queued: any later batch is sent
        // once, under an id of its own.)
        Assert.Equal(2, notifier.FailedAttempts);
        Assert.Single(store.BatchIds.Take(3).Distinct());
        Assert.Equal(store.BatchIds.Count - 2, store.BatchIds.Distinct().Count());
        Assert.Equal(20, store.Points.Count);
        Assert.Equal(20, notifier.SentCount);
    }

    [Fact]
    public async Task Each_batch_gets_its_own_batch_id()
    {
        var store = new FakeTraceStore();
        await using var notifier = new TraceNotifier(store.Mediator(), Fast(batch: 2));
        var profiler = new TraceProfiler("k", notifier);
        for (var i = 0; i < 5; i++)
        {
            using (profiler.Trace("db")) { }
            Assert.True(await notifier.FlushAsync(Wait));
        }
        // Five flushed batches, or more: the batcher may take a start before its stop is queued (then one batch more).
        Assert.InRange(store.BatchIds.Count, 5, 10);
        Assert.Equal(store.BatchIds.Count, store.BatchIds.Distinct().Count());
        Assert.Equal(10, store.Points.Count);
    }

    [Fact]
    public async Task At_shutdown_each_point_is_counted_once_as_sent_rejected_or_dropped()
    {
        var store = new FakeTraceStore();
        store.Hang();
        var options = new TraceNotifierOptions
        {
            BatchSize = 100, MinRetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(50),
            FlushTimeout = TimeSpan.FromMilliseconds(200),
        };
        var notifier = new TraceNotifier(store.Mediator(), options);
        var profiler = new TraceProfiler("k", notifier);
        // One batch: two valid operations and one the validator rejects (its 2 points), so the batch in flight at
        // shutdown is what is left of it after the rejection.
        using (profiler.Trace("good")) { }
        using (profiler.Trace("bad\u0001name")) { }
        using (profiler.Trace("fine")) { }
        await Eventually(() => store.Writes >= 1, "the batcher to reach the hanging store");
        for (var i = 0; i < 10; i++) using (profiler.Trace("queued")) { }

        await notifier.DisposeAsync();
        using (profiler.Trace("after")) { }

        Assert.Equal(2, notifier.RejectedCount);
        Assert.Equal(0, notifier.SentCount);
        // 4 valid points in flight and 20 queued were dropped at shutdown, 2 after it: the rejected ones are not among them.
        Assert.Equal(4 + 20 + 2, notifier.DroppedCount);
        Assert.Equal(6 + 20 + 2, notifier.SentCount + notifier.RejectedCount + notifier.DroppedCount);
        Assert.Equal(0, notifier.QueuedCount);
    }

    [Fact]
    public async Task Points_the_validator_rejects_are_dropped_and_counted_once_and_the_rest_are_stored()
    {
        var store = new FakeTraceStore();
        var logger = new ListLogger();
        await using var notifier = new TraceNotifier(store.Mediator(), Fast(), logger);
        var profiler = new TraceProfiler("k", notifier);
        using (profiler.Trace("good")) { }
        using (profiler.Trace("bad\u0001name")) { }
        using (profiler.Trace(new string('x', 300))) { }
        Assert.True(await notifier.FlushAsync(Wait));
        Assert.Equal(4, notifier.RejectedCount);
        Assert.Equal(["good-start", "good-stop"], store.Points.Select(p => p.Name).Order());
        Assert.Equal(0, notifier.FailedAttempts);
        // Logged just after the rejected points are counted, so a flush may return first: wait for the line.
        await Eventually(() => logger.Lines.Any(l => l.Contains("rejected")), "the rejection to be logged");
    }

    [Fact]
    public void Rejected_points_are_found_by_the_index_the_validator_names()
    {
        TracePoint P(string n) => new() { Name = n, BaseId = "b", TraceId = "t", ParentId = "b", Timestamp = "2026-01-01T00:00:00.000000" };
        var points = new[] { P("a-start"), P("b-start"), P("c-start") };
        var kept = TraceNotifier.WithoutRejected(points, new ValidationException([new ValidationError("Points[1].name", "bad")]));
        Assert.Equal(["a-start", "c-start"], kept.Select(p => p.Name));
        Assert.Empty(TraceNotifier.WithoutRejected(points, new ValidationException([new ValidationError("Points", "too many")])));
    }

    [Fact]
    public async Task Disposing_flushes_what_is_buffered()
    {
        var store = new FakeTraceStore();
        var notifier = new TraceNotifier(store.Mediator(), Fast(batch: 7));
        var profiler = new TraceProfiler("k", notifier);
        for (var i = 0; i < 100; i++) using (profiler.Trace("db")) { }
        await notifier.DisposeAsync();
        Assert.Equal(200, store.Points.Count);
        Assert.False(notifier.TryWrite(new TraceEvent("late", true, "b", "t", "b", DateTime.UtcNow.Ticks, null, "h")));
        Assert.Equal(1, notifier.DroppedCount);
    }

    [Fact]
    public async Task Disposing_gives_up_on_a_hanging_store_after_the_flush_timeout_and_counts_the_loss()
    {
        var store = new FakeTraceStore();
        store.Hang();
        var logger = new ListLogger();
        var notifier = new TraceNotifier(store.Mediator(), new TraceNotifierOptions { FlushTimeout = TimeSpan.FromMilliseconds(300), BatchSize = 5 }, logger);
        var profiler = new TraceProfiler("k", notifier);
        for (var i = 0; i < 10; i++) using (profiler.Trace("db")) { }
        // Dispose returns although the store never answers (the backstop only turns a hang into a failure).
        await Task.Run(notifier.Dispose).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(20, notifier.DroppedCount);
        Assert.Empty(store.Points);
        Assert.Contains(logger.Lines, l => l.Contains("dropped 20"));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public async Task A_point_whose_info_holds_a_number_JSON_cannot_write_is_rejected_and_the_rest_of_its_batch_is_stored(double number)
    {
        var store = new FakeTraceStore { Serialise = true };
        var logger = new ListLogger();
        await using var notifier = new TraceNotifier(store.Mediator(), Fast(), logger);
        var profiler = new TraceProfiler("k", notifier);
        using (profiler.Trace("good")) { }
        using (profiler.Trace("bad", new JsonObject { ["ratio"] = number })) { }
        using (profiler.Trace("fine")) { }

        Assert.True(await notifier.FlushAsync(Wait));
        Assert.Equal(["bad-stop", "fine-start", "fine-stop", "good-start", "good-stop"], store.Points.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(1, notifier.RejectedCount);
        Assert.Equal(5, notifier.SentCount);
        Assert.Equal(0, notifier.FailedAttempts);
        await Eventually(() => logger.Lines.Any(l => l.Contains("'bad-start'") && l.Contains("cannot be written: ArgumentException: .NET number values")),
            "the rejection to be logged with its reason");
    }

    [Fact]
    public async Task A_point_the_store_cannot_serialise_does_not_hold_up_the_points_after_it()
    {
        var store = new FakeTraceStore { Serialise = true };
        await using var notifier = new TraceNotifier(store.Mediator(), Fast(batch: 3));
        var profiler = new TraceProfiler("k", notifier);
        // A value whose serialisation throws (here a JsonException: an object cycle), on every attempt.
        using (profiler.Trace("bad", new JsonObject { ["request"] = JsonValue.Create(new Cycle()) })) { }
        Assert.True(await notifier.FlushAsync(Wait));
        for (var i = 0; i < 20; i++) using (profiler.Trace("later")) { }

        Assert.True(await notifier.FlushAsync(Wait));
        Assert.Equal(40, store.Points.Count(p => p.Name.StartsWith("later-", StringComparison.Ordinal)));
        Assert.Equal(1, notifier.RejectedCount);
        Assert.Equal(41, notifier.SentCount);
        Assert.Equal(0, notifier.DroppedCount);
    }

    [Fact]
    public async Task The_rest_of_a_batch_with_an_unwritable_point_is_sent_again_under_the_same_batch_id()
    {
        var store = new FakeTraceStore { Serialise = true };
        await using var notifier = new TraceNotifier(store.Mediator(), Fast(batch: 1000));
        var profiler = new TraceProfiler("k", notifier);
        store.Hang();
        using (profiler.Trace("first")) { }
        await Eventually(() => store.Writes >= 1, "the batcher to reach the hanging store");
        // The next batch: a good point and a bad one, in one batch behind the hanging write.
        using (profiler.Trace("bad", new JsonObject { ["x"] = double.NaN })) { }
        store.Release();

        Assert.True(await notifier.FlushAsync(Wait));
        var ids = store.BatchIds.ToArray();
        // Each batch once, but the last twice (refused, then resent without its bad point) under one id. (The batcher
        // may have taken "first-start" before "first-stop" was queued: then there is one batch more.)
        Assert.Equal(ids.Length - 1, ids.Distinct().Count());
        Assert.Equal(ids[^2], ids[^1]);
        Assert.Equal(["bad-stop", "first-start", "first-stop"], store.Points.Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Points_the_store_refuses_for_good_are_counted_as_rejected_and_the_batch_is_not_retried()
    {
        // As Redis refuses a trace whose key holds a value of another type: the rest of the batch is stored, and sending
        // the batch again would be refused again, so the batcher must move on instead of retrying it for good.
        var store = new FakeTraceStore { Refuse = p => p.Name.StartsWith("clash-", StringComparison.Ordinal) };
        var logger = new ListLogger();
        await using var notifier = new TraceNotifier(store.Mediator(), Fast(batch: 1000), logger);
        var profiler = new TraceProfiler("k", notifier);
        using (profiler.Trace("good")) { }
        using (profiler.Trace("clash")) { }
        Assert.True(await notifier.FlushAsync(Wait));
        for (var i = 0; i < 5; i++) using (profiler.Trace("later")) { }

        Assert.True(await notifier.FlushAsync(Wait));
        Assert.Equal(["good-start", "good-stop"], store.Points.Where(p => !p.Name.StartsWith("later-", StringComparison.Ordinal)).Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(10, store.Points.Count(p => p.Name.StartsWith("later-", StringComparison.Ordinal)));
        Assert.Equal(2, notifier.RejectedCount);
        Assert.Equal(12, notifier.SentCount);
        Assert.Equal(0, notifier.FailedAttempts);
        Assert.Equal(0, notifier.DroppedCount);
        Assert.Equal(store.BatchIds.Count, store.BatchIds.Distinct().Count());
        await Eventually(() => logger.Lines.Any(l => l.Contains("refused for good")), "the refusal to be logged");
    }

    [Fact]
    public async Task A_failure_no_point_is_to_blame_for_is_retried_until_the_store_works()
    {
        var store = new FakeTraceStore { Serialise = true, Throw = () => new InvalidOperationException("the driver's socket is closed") };
        await using var notifier = new TraceNotifier(store.Mediator(), Fast());
        var profiler = new TraceProfiler("k", notifier);
        using (profiler.Trace("db")) { }
        await Eventually(() => notifier.FailedAttempts >= 3, "retries");
        Assert.Equal(0, notifier.RejectedCount);

        store.Throw = null;
        Assert.True(await notifier.FlushAsync(Wait));
        Assert.Equal(2, store.Points.Count);
        Assert.Equal(0, notifier.RejectedCount);
    }

    [Fact]
    public async Task At_shutdown_a_point_rejected_as_unwritable_is_counted_once()
    {
        var store = new FakeTraceStore { Serialise = true };
        store.Hang();
        var notifier = new TraceNotifier(store.Mediator(), new TraceNotifierOptions { BatchSize = 100, FlushTimeout = TimeSpan.FromMilliseconds(200) });
        var profiler = new TraceProfiler("k", notifier);
        using (profiler.Trace("first")) { }
        await Eventually(() => store.Writes >= 1, "the batcher to reach the hanging store");
        using (profiler.Trace("bad", new JsonObject { ["x"] = double.NaN })) { }
        using (profiler.Trace("good")) { }
        store.Release();
        Assert.True(await notifier.FlushAsync(Wait));
        var writes = store.Writes;
        store.Hang();
        using (profiler.Trace("stuck")) { }
        await Eventually(() => store.Writes > writes, "the batcher to reach the hanging store again");

        await notifier.DisposeAsync();
        Assert.Equal(1, notifier.RejectedCount);
        Assert.Equal(5, notifier.SentCount);
        Assert.Equal(2, notifier.DroppedCount);
        Assert.Equal(8, notifier.SentCount + notifier.RejectedCount + notifier.DroppedCount);
    }

    [Fact]
    public async Task After_the_shutdown_flush_timed_out_disposing_gives_up_at_once_instead_of_waiting_a_second_flush_timeout()
    {
        var store = new FakeTraceStore();
        store.Hang();
        // The notifier's own flush timeout is far longer than any test's patience: only the shutdown's deadline can end it.
        var notifier = new TraceNotifier(store.Mediator(), new TraceNotifierOptions { BatchSize = 5, FlushTimeout = TimeSpan.FromHours(1) });
        var profiler = new TraceProfiler("k", notifier);
        for (var i = 0; i < 10; i++) using (profiler.Trace("db")) { }
        await Eventually(() => store.Writes >= 1, "the batcher to reach the hanging store");

        Assert.False(await notifier.FlushForShutdownAsync(TimeSpan.FromMilliseconds(100)));
        await notifier.DisposeAsync().AsTask().WaitAsync(Wait);

        Assert.Equal(20, notifier.DroppedCount);
        Assert.Equal(0, notifier.SentCount);
        Assert.Empty(store.Points);
    }

    [Fact]
    public async Task A_shutdown_flush_cut_short_by_its_token_makes_disposing_give_up_at_once()
    {
        var store = new FakeTraceStore();
        store.Hang();
        var notifier = new TraceNotifier(store.Mediator(), new TraceNotifierOptions { FlushTimeout = TimeSpan.FromHours(1) });
        var profiler = new TraceProfiler("k", notifier);
        using (profiler.Trace("db")) { }
        await Eventually(() => store.Writes >= 1, "the batcher to reach the hanging store");

        using var cancelled = new CancellationTokenSource();
        var flush = notifier.FlushForShutdownAsync(TimeSpan.FromHours(1), cancelled.Token);
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => flush.WaitAsync(Wait));
        await notifier.DisposeAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(2, notifier.DroppedCount);
    }

    [Fact]
    public async Task Points_written_after_a_successful_shutdown_flush_are_still_sent_when_disposing()
    {
        var store = new FakeTraceStore();
        var notifier = new TraceNotifier(store.Mediator(), Fast());
        var profiler = new TraceProfiler("k", notifier);
        using (profiler.Trace("early")) { }
        Assert.True(await notifier.FlushForShutdownAsync(Wait));
        using (profiler.Trace("late")) { }
        await notifier.DisposeAsync();
        Assert.Equal(4, store.Points.Count);
        Assert.Equal(0, notifier.DroppedCount);
    }
}

/// <summary>An object that refers to itself: System.Text.Json throws a <see cref="System.Text.Json.JsonException"/> writing it.</summary>
public sealed class Cycle
{
    public Cycle Self => this;
}

internal sealed class ListLogger : ILogger<TraceNotifier>
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToList(); } }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines) _lines.Add($"{logLevel}: {formatter(state, exception)}");
    }
}
