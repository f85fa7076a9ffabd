using MediatR;
using Microsoft.Extensions.Logging;
using Profiler.Hosting;
using Profiler.Hosting.Plugins;
using Profiler.Storage;
using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Cli;

/// <summary>The services one command runs with: plugins, the store for its connection string, the mediator.</summary>
internal sealed class CliContext : IAsyncDisposable
{
    /// <summary>OSProfiler's variable for the default connection string.</summary>
    public const string ConnectionStringVariable = "OSPROFILER_CONNECTION_STRING";

    private readonly DriverSettings _settings;
    private readonly StderrLoggerFactory _loggerFactory;
    private readonly IReadOnlyList<string> _pluginFolders;
    // The services are made once even when a command's tasks ask for them at the same time (as a container's singletons).
    private readonly Lock _lock = new();
    private PluginCatalog? _catalog;
    private TraceStoreFactory? _factory;
    private ITraceStore? _store;
    private IMediator? _mediator;

    /// <param name="connectionString">The store; null: <see cref="DefaultConnectionString"/>.</param>
    /// <param name="pluginFolders">Plugin folders in search order (<see cref="PluginCatalog.DefaultFolders"/>).</param>
    /// <param name="logLevel">Least level logged to stderr, the drivers' logs included (<c>--verbosity</c>).</param>
    /// <param name="settings">Driver settings; null: the drivers' defaults. Either way with the interactive read
    /// timeout (<see cref="InteractiveReads"/>, at least 10 s) unless the connection string sets its own.</param>
    /// <remarks>
    /// The services are made by hand, each on first use, as <c>AddTraceStore</c> registers them (the plugin catalog,
    /// the store factory over it, the store, the application's mediator): a command resolves each about once, and a
    /// dependency-injection container's building and its generic dictionaries (JIT-compiled, not precompiled across
    /// assemblies) cost a short command about 10 ms of start-up. <c>profiler serve</c> builds its own host.
    /// </remarks>
    public CliContext(string? connectionString, IReadOnlyList<string> pluginFolders, LogLevel logLevel = LogLevel.Warning,
        DriverSettings? settings = null)
    {
        ConnectionString = connectionString ?? DefaultConnectionString();
        // Logs go to stderr, keeping stdout for results (StderrLoggerFactory: cheaper to start than AddLogging's factory).
        _loggerFactory = new StderrLoggerFactory(logLevel);
        _pluginFolders = pluginFolders;
        // A person waits on every command: an interactive read timeout (InteractiveReads), not OSProfiler's 0.1 s.
        _settings = InteractiveReads.Apply(settings);
    }

    public string ConnectionString { get; }

    /// <summary>The connection string shown to a user: password redacted.</summary>
    public string ShownConnectionString => Profiler.Domain.ConnectionString.Redact(ConnectionString);

    /// <summary>The mediator, after opening the store so that a bad connection string fails here, plainly.</summary>
    public IMediator Mediator
    {
        get
        {
            _ = Store;
            lock (_lock) return _mediator ??= Profiler.Application.DependencyInjection.CreateMediator(() => Store);
        }
    }

    /// <summary>
    /// The store itself, opened on first use (a bad connection string fails here) with the plugins that may serve its
    /// scheme (<see cref="PluginCatalog.LoadFor"/>: plugins whose scheme index lists another scheme are not loaded),
    /// unless <see cref="Catalog"/> already loaded them all.
    /// </summary>
    public ITraceStore Store
    {
        get
        {
            lock (_lock)
            {
                _factory ??= new TraceStoreFactory(
                    _catalog ?? PluginCatalog.LoadFor(_pluginFolders, SchemeOf(ConnectionString), _loggerFactory.CreateLogger("Profiler.Plugins")),
                    _loggerFactory);
                return _store ??= _factory.Open(ConnectionString, _settings);
            }
        }
    }

    /// <summary>The scheme of <paramref name="connectionString"/>; null when it does not parse (opening then says why).</summary>
    private static string? SchemeOf(string connectionString) =>
        Profiler.Domain.ConnectionString.TryParse(connectionString, out var parsed, out _) ? parsed?.Scheme : null;

    /// <summary>A logger factory writing to stderr, as the store's.</summary>
    public ILoggerFactory LoggerFactory => _loggerFactory;

    /// <summary>The plugins of the plugin folders, loaded on first use.</summary>
    public PluginCatalog Catalog
    {
        get
        {
            lock (_lock) return _catalog ??= PluginCatalog.Load(_pluginFolders, _loggerFactory.CreateLogger("Profiler.Plugins"));
        }
    }

    /// <summary><see cref="ConnectionStringVariable"/>, else a SQLite file in the user's data folder.</summary>
    public static string DefaultConnectionString()
    {
        var fromEnv = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(data)) data = Path.Combine(Path.GetTempPath(), "profiler-data");
        return "sqlite:///" + Path.Combine(data, "profiler", "profiler.db");
    }

    [AsyncMethodBuilder(typeof(InlineStartValueTaskBuilder))]
    public async ValueTask DisposeAsync()
    {
        // The store only when it was opened; the logger factory was never a container's to dispose.
        ITraceStore? store;
        lock (_lock) store = _store;
        if (store is not null) await store.DisposeAsync();
    }
}
