using Microsoft.Extensions.Logging;

namespace Profiler.Cli;

/// <summary>
/// Logs of a short command: one line each on stderr, in the console logger's single-line shape
/// (<c>warn: Category[7] message</c>, an exception on the lines after), written at once. The console logger's set-up
/// (its options bound from configuration, its formatter, its writer thread) cost a short command more start-up than
/// anything it logs; <c>profiler serve</c> keeps the console logger.
/// </summary>
internal sealed class StderrLoggerProvider : ILoggerProvider
{
    private static readonly Lock Gate = new();

    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName);

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

    private sealed class StderrLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var line = $"{Level(logLevel)}: {category}[{eventId.Id}] {formatter(state, exception)}";
            if (exception is not null) line += Environment.NewLine + exception;
            lock (Gate) Console.Error.WriteLine(line);
        }
    }
}
