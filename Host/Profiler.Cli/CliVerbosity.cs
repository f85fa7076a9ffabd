using Microsoft.Extensions.Logging;

namespace Profiler.Cli;

/// <summary><c>-v</c>/<c>--verbosity &lt;level&gt;</c>: the names dotnet and MSBuild use, and the log level names.</summary>
internal static class CliVerbosity
{
    /// <summary>The accepted names, for help and error messages.</summary>
    public const string Accepted = "quiet, minimal (warning), normal (information), detailed (debug), diagnostic (trace)";

    /// <summary>The level of <paramref name="value"/>; null (<c>-v</c> alone) is detailed. Throws <see cref="CliException"/> naming the value.</summary>
    public static LogLevel Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => LogLevel.Debug,
        "q" or "quiet" or "error" => LogLevel.Error,
        "m" or "minimal" or "warning" => LogLevel.Warning,
        "n" or "normal" or "information" or "info" => LogLevel.Information,
        "d" or "detailed" or "debug" => LogLevel.Debug,
        "diag" or "diagnostic" or "trace" => LogLevel.Trace,
        _ => throw new CliException($"--verbosity '{Profiler.Storage.TracePointRules.Show(value)}' is not a level: use {Accepted}"),
    };

    /// <summary>
    /// The level for the framework's own categories (<c>Microsoft.*</c>, e.g. EF Core's per-command logs): errors only
    /// up to normal, warnings at detailed, everything at diagnostic, so that <c>-v</c> shows the drivers' own messages
    /// without every SQL statement.
    /// </summary>
    public static LogLevel FrameworkLevel(LogLevel level) => level switch
    {
        LogLevel.Trace => LogLevel.Trace,
        LogLevel.Debug => LogLevel.Warning,
        _ => LogLevel.Error,
    };
}
