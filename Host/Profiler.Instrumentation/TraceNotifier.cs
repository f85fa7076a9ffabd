using System.Diagnostics.Metrics;
using System.Threading.Channels;
using MediatR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Profiler.Application.Common;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Domain;

namespace Profiler.Instrumentation;

/// <summary>Settings of a <see cref="TraceNotifier"/>.</summary>
public sealed class TraceNotifierOptions
{
    /// <summary>The default <see cref="BufferSize"/>: 30 000.</summary>
    public const int DefaultBufferSize = 30_000;

    /// <summary>
    /// Most events waiting to be sent; when full, new ones are dropped and counted. Default 30 000
    /// (<see cref="DefaultBufferSize"/>), sized so that a 10-second store outage at 1,500 points/s drops nothing: the
    /// buffer holds what arrives during the outage and until the first retry after it, at most 1,500 × (10 s +
    /// <see cref="MaxRetryDelay"/> 2 s) = 18,000 points, plus one batch in flight, with room to spare for a slow retry.
    /// </summary>
    public int BufferSize { get; init; } = DefaultBufferSize;

    /// <summary>Most points sent in one <see cref="RecordTracePointsCommand"/>. Default 500.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>
    /// Median first wait before retrying a batch the store refused. Default 50 ms; the waits grow exponentially, with
    /// jitter (Polly's decorrelated jitter), up to <see cref="MaxRetryDelay"/>.
    /// </summary>
    public TimeSpan MinRetryDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Longest wait between two attempts, jitter included. Default 2 s: after the store comes back, buffering goes on
    /// for at most this long before the batcher notices (see <see cref="BufferSize"/>).
    /// </summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long disposing waits for buffered points to be sent before dropping them, unless
    /// <see cref="TraceNotifier.FlushForShutdownAsync"/> already set the shutdown's deadline. Default 5 s.
    /// </summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>At most one log line per this interval for each of: drops, store failures, rejected points. Default 10 s.</summary>
    public TimeSpan LogInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Project set on points (else the store's default). Default null.</summary>
    public string? Project { get; init; }

    /// <summary>Service set on points (else the store's default). Default null.</summary>
    public string? Service { get; init; }
}

/// <summary>
/// The sink between the profiler and the store: a bounded in-memory buffer and one background batcher that
/// sends batches through <see cref="RecordTracePointsCommand"/> (so through validation, never straight to a store).
/// </summary>
/// <remarks>
/// <para>Callers never block, do I/O or see a storage error: <see cref="TryWrite"/> is lock-free (an unbounded
/// single-reader <see cref="Channel"/> bounded by an interlocked count, because a <c>BoundedChannel</c> takes a lock
/// per write) and drops the event when <see cref="TraceNotifierOptions.BufferSize"/> events are waiting.</para>
/// <para>While the store fails, the batcher retries the same batch (a Polly retry pipeline: exponential backoff with
/// jitter, <see cref="TraceNotifierOptions.MinRetryDelay"/> to <see cref="TraceNotifierOptions.MaxRetryDelay"/>); events
/// keep buffering and are dropped only when the buffer is full. Each batch gets one batch id, sent with every attempt,
/// so a batch whose write reached the store but whose reply was lost is stored once
/// (<see cref="Profiler.Storage.ITraceStore.WriteAsync(IReadOnlyList{TracePoint}, Guid, CancellationToken)"/>). Every
/// event accepted is counted once: as sent, rejected or dropped. A batch the validator rejects is not retried: the points
/// it names are dropped and counted in <see cref="RejectedCount"/>, the rest are sent. Nor is a write that fails with
/// something other than a <see cref="Profiler.Storage.TraceStoreException"/> because of its points: the points whose JSON
/// cannot be written (a NaN in <c>info</c>, say) are rejected likewise and the rest sent under the same batch id. Points
/// the store refuses for good while storing the rest (<see cref="Profiler.Storage.TracePointsRefusedException"/>) are
/// counted as rejected and the batch is done.
/// At shutdown the host's flush (<see cref="FlushForShutdownAsync"/>) sets the one deadline disposal keeps to. Drops, failures and rejections
/// are logged at most once per <see cref="TraceNotifierOptions.LogInterval"/> each, and published as the
/// <c>Profiler.Instrumentation</c> meter's counters.</para>
/// </remarks>
public sealed class TraceNotifier : ITraceEventSink, IAsyncDisposable, IDisposable
{
    /// <summary>Name of the <see cref="Meter"/> the counters are published on.</summary>
    public const string MeterName = "Profiler.Instrumentation";

    private readonly IMediator _mediator;
    private readonly TraceNotifierOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<TraceEvent> _channel = Channel.CreateUnbounded<TraceEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });
    private readonly CancellationTokenSource _abort = new();
    private readonly Meter _meter;
    private readonly Timer _dropReporter;
    private readonly Task _batcher;
    private readonly ResiliencePipeline _retry;
    /// <summary>The points of the batch being sent (after rejections), until they are settled; the batcher's only.</summary>
    private volatile IReadOnlyList<TracePoint>? _inFlight;
    /// <summary>The last batch <see cref="FindUnwritable"/> found no fault in: its later failures are not probed again.</summary>
    private IReadOnlyList<TracePoint>? _probedClean;
    private int _failuresInRow;
    private TaskCompletionSource _progress = NewSignal();
    private int _queued;
    private long _accepted, _settled, _dropped, _droppedReported, _rejected, _sent, _failures;
    private volatile bool _closed;
    private int _disposed;
    /// <summary>UTC ticks by which shutdown gives up on the store (<see cref="FlushForShutdownAsync"/>); 0 while not set.</summary>
    private long _shutdownDeadline;
    private DateTime _lastFailureLog = DateTime.MinValue, _lastRejectLog = DateTime.MinValue;

    /// <summary>Starts the batcher. <paramref name="mediator"/> must reach a <see cref="RecordTracePointsCommand"/> handler.</summary>
    public TraceNotifier(IMediator mediator, TraceNotifierOptions? options = null, ILogger<TraceNotifier>? logger = null)
    {
        _mediator = mediator ?? throw new ArgumentNullException(nameof(mediator));
        _options = options ?? new TraceNotifierOptions();
        if (_options.BufferSize < 1)
            throw new ArgumentException($"BufferSize {_options.BufferSize} is out of range: use 1 or more", nameof(options));
        if (_options.BatchSize is < 1 or > RecordTracePointsCommand.MaxBatchSize)
            throw new ArgumentException(
                $"BatchSize {_options.BatchSize} is out of range: use 1 to {RecordTracePointsCommand.MaxBatchSize}", nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;

        _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            // Every failure of the store is retried until it works or the notifier shuts down; a batch the validator
            // refused is not (it would be refused again), nor one with points no store can write, nor is the shutdown's
            // own cancellation.
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e =>
                e is not ValidationException and not UnwritablePointsException and not Profiler.Storage.TracePointsRefusedException
                && !(e is OperationCanceledException && _abort.IsCancellationRequested)),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.MinRetryDelay,
            MaxDelay = _options.MaxRetryDelay,
            OnRetry = args =>
            {
                OnStoreFailed(args.Outcome.Exception, args.RetryDelay);
                return default;
            },
        }).Build();

        _meter = new Meter(MeterName);
        _meter.CreateObservableCounter("profiler.points.sent", () => SentCount, description: "Trace points stored");
        _meter.CreateObservableCounter("profiler.points.dropped", () => DroppedCount, description: "Trace points dropped (buffer full or notifier closed)");
        _meter.CreateObservableCounter("profiler.points.rejected", () => RejectedCount, description: "Trace points rejected (invalid or unwritable)");
        _meter.CreateObservableUpDownCounter("profiler.points.queued", () => QueuedCount, description: "Trace points waiting to be sent");

        // The batcher and the timer must not inherit the creator's ambient profiler: a store that is itself
        // instrumented would otherwise trace its own writes into the caller's trace.
        using (ExecutionContext.SuppressFlow())
        {
            _batcher = Task.Run(RunAsync);
            _dropReporter = new Timer(_ => ReportDrops(), null, _options.LogInterval, _options.LogInterval);
        }
    }

    /// <summary>Events dropped because the buffer was full or the notifier was closed.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Points rejected, not retried: by the <c>RecordTracePoints</c> validator, or found unwritable after a write failed.</summary>
    public long RejectedCount => Interlocked.Read(ref _rejected);

    /// <summary>Points the store accepted.</summary>
    public long SentCount => Interlocked.Read(ref _sent);

    /// <summary>Failed attempts to send a batch (each is retried).</summary>
    public long FailedAttempts => Interlocked.Read(ref _failures);

    /// <summary>Events waiting in the buffer.</summary>
    public int QueuedCount => Math.Max(0, Volatile.Read(ref _queued));

    /// <summary>Queues an event without blocking; false when it was dropped (buffer full or notifier disposed).</summary>
    public bool TryWrite(in TraceEvent traceEvent)
    {
        if (_closed)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }
        if (Interlocked.Increment(ref _queued) > _options.BufferSize)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return false;
        }
        Interlocked.Increment(ref _accepted);
        if (_channel.Writer.TryWrite(traceEvent)) return true;
        Interlocked.Decrement(ref _queued);
        Interlocked.Increment(ref _dropped);
        Settle(1);
        return false;
    }

    /// <summary>
    /// Waits until every event queued before the call was stored, rejected or dropped, or <paramref name="timeout"/>
    /// passed. Returns true when everything was settled.
    /// </summary>
    public async Task<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref _accepted);
        var deadline = After(timeout);
        while (Interlocked.Read(ref _settled) < target)
        {
            var signal = Volatile.Read(ref _progress).Task;
            if (Interlocked.Read(ref _settled) >= target) break;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || _batcher.IsCompleted) return Interlocked.Read(ref _settled) >= target;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(signal, Task.Delay(AtMostADay(left), stop.Token)).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        return true;
    }

    /// <summary>
    /// The host's flush at shutdown: <see cref="FlushAsync"/>, whose deadline (now + <paramref name="timeout"/>, or now
    /// when <paramref name="cancellationToken"/> cuts it short) becomes the shutdown's one deadline: disposing afterwards
    /// waits for the store only until then (not a further <see cref="TraceNotifierOptions.FlushTimeout"/>) and drops and
    /// counts what is left at once when it has passed. Events keep being accepted until disposal.
    /// </summary>
    public async Task<bool> FlushForShutdownAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        SetShutdownDeadline(After(timeout));
        try
        {
            return await FlushAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            SetShutdownDeadline(DateTime.UtcNow);
            throw;
        }
    }

    /// <summary>Keeps the earlier of the deadline set so far and <paramref name="deadline"/>.</summary>
    private void SetShutdownDeadline(DateTime deadline)
    {
        var ticks = Math.Max(1, deadline.Ticks);
        long seen;
        while (((seen = Interlocked.Read(ref _shutdownDeadline)) == 0 || ticks < seen)
               && Interlocked.CompareExchange(ref _shutdownDeadline, ticks, seen) != seen)
        {
        }
    }

    /// <summary>Now + <paramref name="timeout"/> (UTC), without overflowing for a huge timeout.</summary>
    private static DateTime After(TimeSpan timeout)
    {
        var now = DateTime.UtcNow;
        return timeout >= DateTime.MaxValue - now ? DateTime.MaxValue : timeout <= TimeSpan.Zero ? now : now + timeout;
    }

    /// <summary>A wait <see cref="Task.Delay(TimeSpan)"/> accepts: callers wait again while their deadline is ahead.</summary>
    private static TimeSpan AtMostADay(TimeSpan wait) => wait > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : wait;

    /// <summary>
    /// Stops accepting events, sends what is buffered (waiting until the deadline <see cref="FlushForShutdownAsync"/> set,
    /// else at most <see cref="TraceNotifierOptions.FlushTimeout"/>), then drops and counts the rest.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _closed = true;
        _channel.Writer.TryComplete();
        var set = Interlocked.Read(ref _shutdownDeadline);
        var deadline = set != 0 ? new DateTime(set, DateTimeKind.Utc) : After(_options.FlushTimeout);
        using (var done = new CancellationTokenSource())
        {
            TimeSpan left;
            while (!_batcher.IsCompleted && (left = deadline - DateTime.UtcNow) > TimeSpan.Zero)
                await Task.WhenAny(_batcher, Task.Delay(AtMostADay(left), done.Token)).ConfigureAwait(false);
            await done.CancelAsync().ConfigureAwait(false);
        }
        if (!_batcher.IsCompleted)
        {
            // The store had its time: the batcher gives up now (a driver honours the cancellation at once; one that
            // does not gets a second before disposal goes on without it).
            await _abort.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(_batcher, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }
        await _dropReporter.DisposeAsync().ConfigureAwait(false);
        ReportDrops();
        if (_batcher.IsCompleted) _abort.Dispose();
        _meter.Dispose();
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>: blocks until it is done (so at most until the same deadline).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task RunAsync()
    {
        TraceProfiler.Clean();
        var reader = _channel.Reader;
        List<TracePoint> batch;
        try
        {
            while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                batch = new List<TracePoint>(Math.Min(_options.BatchSize, Math.Max(1, QueuedCount)));
                var broken = 0;
                while (batch.Count < _options.BatchSize && reader.TryRead(out var e))
                {
                    Interlocked.Decrement(ref _queued);
                    try { batch.Add(e.ToTracePoint(_options.Project, _options.Service)); }
                    catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
                    {
                        broken++;
                        LogRejected($"point '{e.Name}' could not be built: {ex.Message}");
                    }
                }
                if (broken > 0)
                {
                    Interlocked.Add(ref _rejected, broken);
                    Settle(broken);
                }
                if (batch.Count > 0) await SendAsync(batch).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // What the batch in flight still holds: its rejected points are counted as rejected already, never twice.
            var left = _inFlight?.Count ?? 0;
            _inFlight = null;
            while (reader.TryRead(out _))
            {
                Interlocked.Decrement(ref _queued);
                left++;
            }
            Interlocked.Add(ref _dropped, left);
            Settle(left);
            if (left > 0)
                Log.DroppedAtShutdown(_logger, left, _options.FlushTimeout);
        }
        catch (Exception e)
        {
            // Not expected: everything the store can throw is handled in SendAsync.
            Log.BatcherStopped(_logger, e);
        }
    }

    /// <summary>
    /// Sends one batch until the store takes it (retried by <see cref="_retry"/>, always under the same batch id) or the
    /// validator refuses points (those are counted as rejected, the rest sent again under the same id: nothing was
    /// stored). Throws only the shutdown's cancellation.
    /// </summary>
    private async Task SendAsync(List<TracePoint> batch)
    {
        var batchId = Guid.NewGuid();
        IReadOnlyList<TracePoint> points = batch;
        _inFlight = points;
        _failuresInRow = 0;
        while (true)
        {
            try
            {
                await _retry.ExecuteAsync(static (state, ct) => state.Self.WriteAsync(state.Points, state.BatchId, ct),
                    (Self: this, Points: points, BatchId: batchId), _abort.Token).ConfigureAwait(false);
                _inFlight = null;
                Interlocked.Add(ref _sent, points.Count);
                Settle(points.Count);
                if (_failuresInRow > 0)
                    Log.StoreRecovered(_logger, _failuresInRow);
                return;
            }
            catch (ValidationException e)
            {
                if (!Reject(ref points, WithoutRejected(points, e), e.Message)) return;
            }
            catch (Profiler.Storage.TracePointsRefusedException e)
            {
                // The store kept the rest (once, under this batch id) and would refuse these again: the batch is settled.
                var refused = e.Refused.Count(i => i >= 0 && i < points.Count);
                _inFlight = null;
                Interlocked.Add(ref _rejected, refused);
                Interlocked.Add(ref _sent, points.Count - refused);
                Settle(points.Count);
                LogRejected(e.Message);
                return;
            }
            catch (UnwritablePointsException e)
            {
                // Nothing was stored (or, had an earlier attempt's reply been lost, the whole batch was): the same id
                // keeps the rest exactly once either way.
                if (!Reject(ref points, e.Kept, e.Message)) return;
            }
        }
    }

    /// <summary>
    /// Counts the points of <paramref name="points"/> missing from <paramref name="kept"/> as rejected and logs why;
    /// false when none is left to send.
    /// </summary>
    private bool Reject(ref IReadOnlyList<TracePoint> points, IReadOnlyList<TracePoint> kept, string reason)
    {
        _inFlight = kept.Count == 0 ? null : kept;
        var rejected = points.Count - kept.Count;
        Interlocked.Add(ref _rejected, rejected);
        Settle(rejected);
        LogRejected(reason);
        points = kept;
        return kept.Count > 0;
    }

    /// <summary>
    /// One attempt. A failure that is not the store's (the contract's drivers report those as
    /// <see cref="Profiler.Storage.TraceStoreException"/>; a serialiser's <see cref="ArgumentException"/>,
    /// <see cref="InvalidOperationException"/> or <see cref="System.Text.Json.JsonException"/> is the same every time)
    /// makes the batch's points be tried one by one; those that cannot be written become an
    /// <see cref="UnwritablePointsException"/>, which is not retried. When no point is at fault the failure is retried as
    /// any other. Writes that succeed cost nothing extra.
    /// </summary>
    private async ValueTask WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        try
        {
            await _mediator.Send(new RecordTracePointsCommand(points, batchId), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (Profiler.Storage.TraceStoreException or ValidationException or OperationCanceledException)
                                  && !ReferenceEquals(points, _probedClean)
                                  && FindUnwritable(points, e) is { } unwritable)
        {
            throw unwritable;
        }
    }

    /// <summary>
    /// Writes each point as the drivers do (<see cref="TracePointJson.Write"/>, which writes <c>info</c> with
    /// System.Text.Json) to a writer that keeps nothing; null when every point can be written. Run only after a write
    /// failed with something other than a store failure.
    /// </summary>
    private UnwritablePointsException? FindUnwritable(IReadOnlyList<TracePoint> points, Exception failure)
    {
        List<TracePoint>? kept = null;
        string? first = null;
        using var writer = new System.Text.Json.Utf8JsonWriter(Stream.Null);
        for (var i = 0; i < points.Count; i++)
        {
            var reason = Unwritable(writer, points[i]);
            if (reason is null)
            {
                kept?.Add(points[i]);
                continue;
            }
            if (kept is null)
            {
                kept = new List<TracePoint>(points.Count);
                for (var j = 0; j < i; j++) kept.Add(points[j]);
            }
            first ??= $"point '{Profiler.Storage.TracePointRules.Show(points[i].Name)}' (trace_id "
                      + $"{Profiler.Storage.TracePointRules.Show(points[i].TraceId)}) cannot be written: {reason}";
        }
        if (kept is null)
        {
            _probedClean = points;
            return null;
        }
        var count = points.Count - kept.Count;
        return new UnwritablePointsException(kept,
            $"{count} of {points.Count} points cannot be written ({failure.GetType().Name} from the store); the first: {first}", failure);
    }

    private static string? Unwritable(System.Text.Json.Utf8JsonWriter writer, TracePoint point)
    {
        if (TracePointJson.WriteFailure(writer, point) is not { } e) return null;
        // The first sentence: System.Text.Json goes on with advice for JsonSerializer users.
        var message = e.Message;
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return $"{e.GetType().Name}: {(end < 0 ? message : message[..end])}";
    }

    /// <summary>Points of a batch that no store can write (their JSON cannot be written): not retried.</summary>
    private sealed class UnwritablePointsException(IReadOnlyList<TracePoint> kept, string message, Exception inner)
        : Exception(message, inner)
    {
        /// <summary>The batch's other points, to send again.</summary>
        public IReadOnlyList<TracePoint> Kept { get; } = kept;
    }

    /// <summary>Counts and (at most once per <see cref="TraceNotifierOptions.LogInterval"/>) logs a failed attempt.</summary>
    private void OnStoreFailed(Exception? e, TimeSpan delay)
    {
        var failures = ++_failuresInRow;
        Interlocked.Increment(ref _failures);
        var now = DateTime.UtcNow;
        if (failures == 1 || now - _lastFailureLog >= _options.LogInterval)
        {
            _lastFailureLog = now;
            Log.StoreFailed(_logger, _inFlight?.Count ?? 0, failures, (int)delay.TotalMilliseconds, e?.Message ?? "");
        }
    }

    /// <summary>The points the validation errors do not name (<c>Points[i]…</c>); none when an error concerns the whole batch.</summary>
    internal static IReadOnlyList<TracePoint> WithoutRejected(IReadOnlyList<TracePoint> points, ValidationException e)
    {
        var bad = new HashSet<int>();
        foreach (var error in e.Errors)
        {
            var p = error.Property;
            if (!p.StartsWith("Points[", StringComparison.Ordinal)) return [];
            var end = p.IndexOf(']', 7);
            if (end < 0 || !int.TryParse(p.AsSpan(7, end - 7), out var index)) return [];
            bad.Add(index);
        }
        if (bad.Count == 0) return [];
        var kept = new List<TracePoint>(points.Count);
        for (var i = 0; i < points.Count; i++)
            if (!bad.Contains(i)) kept.Add(points[i]);
        return kept.Count == points.Count ? [] : kept;
    }

    private void LogRejected(string message)
    {
        var now = DateTime.UtcNow;
        if (now - _lastRejectLog < _options.LogInterval) return;
        _lastRejectLog = now;
        Log.PointsRejected(_logger, RejectedCount, message);
    }

    private void ReportDrops()
    {
        var dropped = Interlocked.Read(ref _dropped);
        var reported = Interlocked.Exchange(ref _droppedReported, dropped);
        if (dropped > reported)
            Log.PointsDropped(_logger, dropped - reported, dropped, _options.BufferSize);
    }

    private void Settle(int count)
    {
        if (count == 0) return;
        Interlocked.Add(ref _settled, count);
        Interlocked.Exchange(ref _progress, NewSignal()).TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
