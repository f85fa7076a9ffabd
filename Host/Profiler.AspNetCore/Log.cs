using Microsoft.Extensions.Logging;

namespace Profiler.AspNetCore;

/// <summary>The middleware's log messages (source-generated).</summary>
internal static partial class Log
{
    /// <summary>Never logs a key or the header values: only the request line and the reason.</summary>
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Profiler: {Method} {Path} served untraced: {Reason}")]
    public static partial void Untraced(ILogger logger, string method, string path, string reason);
}
