using Microsoft.Extensions.Logging;

namespace Profiler.Infrastructure.Otlp;

/// <summary>The OTLP driver's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Endpoint} rejected {Rejected} span(s): {Message}")]
    public static partial void PartiallyRejected(ILogger logger, string endpoint, long rejected, string message);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Count} operation(s) still open at shutdown could not be sent to {Endpoint}: {Error}")]
    public static partial void FlushFailed(ILogger logger, int count, string endpoint, string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "{Count} point(s) that no current write holds were refused for good by {Endpoint} and dropped: {Reason}")]
    public static partial void Dropped(ILogger logger, int count, string endpoint, string reason);
}
