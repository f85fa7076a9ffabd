using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>Logs to a test's output, and keeps every message so a test can check what was logged.</summary>
public sealed class TestOutputLoggerFactory(ITestOutputHelper output) : ILoggerFactory
{
    private readonly List<string> _messages = [];

    public IReadOnlyList<string> Messages { get { lock (_messages) return _messages.ToList(); } }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }

    private void Write(string line)
    {
        lock (_messages) _messages.Add(line);
        try { output.WriteLine(line); }
        catch (InvalidOperationException) { } // the test has finished
    }

    private sealed class Logger(TestOutputLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) =>
            factory.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category.Split('.')[^1]}: {formatter(state, exception)}");
    }
}
