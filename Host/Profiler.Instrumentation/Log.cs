using Microsoft.Extensions.Logging;

namespace Profiler.Instrumentation;

/// <summary>The instrumentation's log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Profiler: enabled but no hmac_keys are configured, so no request will be traced")]
    public static partial void NoHmacKeys(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Profiler: {Count} trace points were still waiting to be stored at shutdown")]
    public static partial void PointsLeftAtShutdown(ILogger logger, int count);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Profiler: shutdown cut the flush short; {Count} trace points were waiting")]
    public static partial void FlushCutShort(ILogger logger, int count);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Profiler: dropped {Count} buffered trace points at shutdown: the store did not take them within {Timeout}")]
    public static partial void DroppedAtShutdown(ILogger logger, int count, TimeSpan timeout);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Profiler: the trace point batcher stopped; trace points are no longer stored")]
    public static partial void BatcherStopped(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Profiler: the trace store works again after {Failures} failed attempts")]
    public static partial void StoreRecovered(ILogger logger, int failures);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Profiler: storing {Count} trace points failed (attempt {Attempt}); retrying in {Delay} ms: {Error}")]
    public static partial void StoreFailed(ILogger logger, int count, int attempt, int delay, string error);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Profiler: dropped trace points that are not valid or cannot be written ({Total} rejected so far): {Message}")]
    public static partial void PointsRejected(ILogger logger, long total, string message);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Profiler: dropped {Count} trace points ({Total} in all): the buffer of {Size} was full or the notifier closed")]
    public static partial void PointsDropped(ILogger logger, long count, long total, int size);
}
