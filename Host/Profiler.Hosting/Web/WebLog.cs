using Microsoft.Extensions.Logging;

namespace Profiler.Hosting.Web;

/// <summary>The web shell's log messages (source-generated). Every text argument is redacted by the caller.</summary>
internal static partial class WebLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Health check: trace store unavailable: {Problem}")]
    public static partial void HealthCheckFailed(ILogger logger, string problem);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "{Method} {Path} failed after the response started: {Error}")]
    public static partial void FailedAfterResponseStarted(ILogger logger, string method, string? path, string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "{Method} {Path}: trace store unavailable: {Error}")]
    public static partial void StoreUnavailable(ILogger logger, string method, string? path, string error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "{Method} {Path} failed ({RequestId}): {Error}")]
    public static partial void RequestFailed(ILogger logger, string method, string? path, string requestId, string error);
}
