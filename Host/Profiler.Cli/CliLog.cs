using Microsoft.Extensions.Logging;

namespace Profiler.Cli;

/// <summary>The CLI's log messages (source-generated).</summary>
internal static partial class CliLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Serving {Store} on {Urls}")]
    public static partial void Serving(ILogger logger, string store, string urls);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "Listening beyond loopback ({Urls}) without an ingest key: anyone who can reach it can write traces. Set --ingest-key.")]
    public static partial void OpenIngest(ILogger logger, string urls);
}
