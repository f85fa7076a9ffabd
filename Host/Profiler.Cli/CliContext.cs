using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Profiler.Hosting;
using Profiler.Hosting.Plugins;
using Profiler.Storage;

namespace Profiler.Cli;

/// <summary>The services one command runs with: plugins, the store for its connection string, the mediator.</summary>
internal sealed class CliContext : IAsyncDisposable
{
    /// <summary>OSProfiler's variable for the default connection string.</summary>
    public const string ConnectionStringVariable = "OSPROFILER_CONNECTION_STRING";

    private readonly ServiceProvider _services;

    /// <param name="connectionString">The store; null: <see cref="DefaultConnectionString"/>.</param>
    /// <param name="pluginFolders">Plugin folders in search order (<see cref="PluginCatalog.DefaultFolders"/>).</param>
    /// <param name="logLevel">Least level logged to stderr, the drivers' logs included (<c>--verbosity</c>).</param>
    /// <param name="settings">Driver settings; null: the drivers' defaults. Either way with the interactive read
    /// timeout (<see cref="InteractiveReads"/>, at least 10 s) unless the connection string sets its own.</param>
    public CliContext(string? connectionString, IReadOnlyList<string> pluginFolders, LogLevel logLevel = LogLevel.Warning,
        DriverSettings? settings = null)
    {
        ConnectionString = connectionString ?? DefaultConnectionString();
        var services = new ServiceCollection();
        // Logs go to stderr, keeping stdout for results (StderrLoggerFactory: cheaper to start than AddLogging's factory).
        services.AddSingleton<ILoggerFactory>(new StderrLoggerFactory(logLevel));
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        // A person waits on every command: an interactive read timeout (InteractiveReads), not OSProfiler's 0.1 s.
        services.AddTraceStore(ConnectionString, InteractiveReads.Apply(settings), pluginFolders);
        // A command resolves each service about once: the container's dynamic engine would compile resolvers with
        // Reflection.Emit on a pool thread (for the ones asked for twice), CPU a short command never gets back
        // (~2 ms of `trace list`). Only this process's CLI containers: `profiler serve` builds its own host.
        AppContext.SetSwitch(DisableDynamicEngine, true);
        _services = services.BuildServiceProvider();
    }

    /// <summary>Microsoft.Extensions.DependencyInjection's switch to its reflection-only engine (read when its first provider is built).</summary>
    private const string DisableDynamicEngine = "Microsoft.Extensions.DependencyInjection.DisableDynamicEngine";

    public string ConnectionString { get; }

    /// <summary>The connection string shown to a user: password redacted.</summary>
    public string ShownConnectionString => Profiler.Domain.ConnectionString.Redact(ConnectionString);

    /// <summary>The mediator, after opening the store so that a bad connection string fails here, plainly.</summary>
    public IMediator Mediator
    {
        get
        {
            _services.GetRequiredService<ITraceStore>();
            return _services.GetRequiredService<IMediator>();
        }
    }

    /// <summary>The store itself, opened on first use (a bad connection string fails here).</summary>
    public ITraceStore Store => _services.GetRequiredService<ITraceStore>();

    /// <summary>A logger factory writing to stderr, as the store's.</summary>
    public ILoggerFactory LoggerFactory => _services.GetRequiredService<ILoggerFactory>();

    public PluginCatalog Catalog => _services.GetRequiredService<PluginCatalog>();

    /// <summary><see cref="ConnectionStringVariable"/>, else a SQLite file in the user's data folder.</summary>
    public static string DefaultConnectionString()
    {
        var fromEnv = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(data)) data = Path.Combine(Path.GetTempPath(), "profiler-data");
        return "sqlite:///" + Path.Combine(data, "profiler", "profiler.db");
    }

    public async ValueTask DisposeAsync()
    {
        // Dispose the store explicitly only when it was created.
        await _services.DisposeAsync();
    }
}
