using Microsoft.Extensions.Logging;

namespace Profiler.Infrastructure.Sql;

/// <summary>The SQL driver's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Creating table data in {Store}")]
    public static partial void CreatingTable(ILogger logger, string store);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Skipped {Statement}: {Reason}")]
    public static partial void SkippedDdl(ILogger logger, string statement, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Checkpoint of {Store} did not complete; the next write past the threshold tries again: {Reason}")]
    public static partial void CheckpointFailed(ILogger logger, string store, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Creating table profiler_pins in {Store}")]
    public static partial void CreatingPinTable(ILogger logger, string store);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Pruned {Traces} traces ({Points} points) older than {Cutoff} from {Store}")]
    public static partial void Pruned(ILogger logger, string store, long traces, long points, string cutoff);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Deleting old batch ids from profiler_batches in {Store} failed; the next write past the hour tries again: {Reason}")]
    public static partial void BatchPruneFailed(ILogger logger, string store, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Search is off for {Store}: its summary tables could not be created: {Reason}")]
    public static partial void SummariesUnavailable(ILogger logger, string store, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Listing {Store} without summaries: {Reason}")]
    public static partial void SummariesUnreadable(ILogger logger, string store, string reason);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning,
        Message = "Could not read traces from {Store} within {Seconds} s ({Timeout}): trying once more")]
    public static partial void RetryingTimedOutRead(ILogger logger, string store, double seconds, string timeout);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning,
        Message = "Could not check or create the summary tables of {Store} just now; the next use tries again: {Reason}")]
    public static partial void SummariesNotReadyYet(ILogger logger, string store, string reason);
}
