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
}
