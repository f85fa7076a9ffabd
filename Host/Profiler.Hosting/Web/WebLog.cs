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

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Retention: pruned {Traces} trace(s), {Points} point(s) whose newest point is older than {Ttl}")]
    public static partial void Pruned(ILogger logger, long traces, long points, TimeSpan ttl);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Retention: pruning failed, retrying in {Interval}: {Error}")]
    public static partial void PruneFailed(ILogger logger, TimeSpan interval, string error);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Retention: ttl {Ttl} set but the {Driver} driver does not prune (its store does not implement ITraceStorePruning); nothing is pruned in the background")]
    public static partial void PruneNotSupported(ILogger logger, TimeSpan ttl, string driver);
}
