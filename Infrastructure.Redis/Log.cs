using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis;

/// <summary>The Redis driver's log messages (source-generated). Every store text is the redacted description.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Connected to {Store}")]
    public static partial void Connected(ILogger logger, string store);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Lost connection to {EndPoint} of {Store}: {Failure} {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string endPoint, string store, ConnectionFailureType failure, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Connection to {EndPoint} of {Store} restored")]
    public static partial void ConnectionRestored(ILogger logger, string endPoint, string store);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "{Action} {Store} failed (attempt {Attempt}), retrying while the sentinels fail over: {Reason}")]
    public static partial void RetryingDuringFailover(ILogger logger, string action, string store, int attempt, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Listed {Count} of {Total} traces in {Store} in {Elapsed} ms")]
    public static partial void Listed(ILogger logger, int count, int total, string store, double elapsed);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug,
        Message = "{Store} refused the listing script ({Kind}): reading the earliest points instead")]
    public static partial void ScriptRefused(ILogger logger, string store, RedisErrorKind kind);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information,
        Message = "Could not {Action} {Store} within {Seconds} s (socket_timeout): trying once more")]
    public static partial void RetryingTimedOut(ILogger logger, string action, string store, double seconds);
}
