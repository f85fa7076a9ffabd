using Microsoft.Extensions.Logging;

namespace Profiler.Cli;

/// <summary>
/// The logger factory of a short command: one line per log on stderr, in the console logger's single-line shape
/// (<c>warn: Category[7] message</c>, an exception on the lines after), written at once; categories starting with
/// <c>Microsoft</c> at <see cref="CliVerbosity.FrameworkLevel"/>, every other at the level asked for (the filter
/// <c>AddLogging(b =&gt; b.SetMinimumLevel(level).AddFilter("Microsoft", …))</c> would make).
/// </summary>
/// <remarks>
/// Not Microsoft.Extensions.Logging's <c>LoggerFactory</c>: its set-up (options, filter rules, provider registrations,
/// each a generic instantiation compiled at run time) cost a short command more start-up than anything it logs, as
/// the console logger's did before it (options bound from configuration, a formatter, a writer thread).
/// <c>profiler serve</c> keeps the console logger.
/// </remarks>
internal sealed class StderrLoggerFactory(LogLevel level) : ILoggerFactory
{
    private static readonly Lock Gate = new();

    private readonly LogLevel _frameworkLevel = CliVerbosity.FrameworkLevel(level);

    public ILogger CreateLogger(string categoryName) =>
        new StderrLogger(categoryName, categoryName.StartsWith("Microsoft", StringComparison.OrdinalIgnoreCase) ? _frameworkLevel : level);

    /// <summary>Not supported: this factory writes to stderr only.</summary>
    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("The CLI's logger factory writes to stderr only; it takes no other provider.");

    public void Dispose()
    {
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    private sealed class StderrLogger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var line = $"{Level(logLevel)}: {category}[{eventId.Id}] {formatter(state, exception)}";
            if (exception is not null) line += Environment.NewLine + exception;
            lock (Gate) Console.Error.WriteLine(line);
        }
    }
}
