using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// A real redis-server on a free loopback port in a temporary directory, no persistence, killed on dispose.
/// <see cref="Admin"/> is a direct client for arranging and inspecting keys.
/// </summary>
public class RedisServer : IDisposable
{
    private readonly TempDirectory _dir = new("profiler-redis-");
    private readonly Lazy<ConnectionMultiplexer> _admin;

    public RedisServer() : this(password: null) { }

    protected RedisServer(string? password, params string[] extraArguments)
    {
        Password = password;
        Port = FreePort.Next();
        var executable = ServerProcess.Require("redis-server", "redis-server");
        var arguments = new List<string>
        {
            "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _dir.Path,
        };
        if (password is not null) arguments.AddRange(["--requirepass", password]);
        arguments.AddRange(extraArguments);
        Process = ServerProcess.Start($"redis-server :{Port}", executable, arguments, Port, _dir.Path);
        _admin = new Lazy<ConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", Port } }, Password = password, AllowAdmin = true,
            // Generous for a loaded machine: a timeout here only turns a server that never answers into a failure.
            ConnectTimeout = 30_000, SyncTimeout = 30_000, AsyncTimeout = 30_000,
        }));
    }

    public int Port { get; }
    public string? Password { get; }
    public ServerProcess Process { get; }
    public string Directory => _dir.Path;

    /// <summary>redis://[:password@]127.0.0.1:port/db plus an optional query.</summary>
    public string Url(int db = 0, string query = "") =>
        $"redis://{(Password is null ? "" : ":" + Uri.EscapeDataString(Password) + "@")}127.0.0.1:{Port}/{db}{query}";

    public ConnectionMultiplexer Admin => _admin.Value;

    public IDatabase Db(int db = 0) => Admin.GetDatabase(db);

    public async Task FlushAsync(int db = 0) => await Admin.GetServer("127.0.0.1", Port).FlushDatabaseAsync(db);

    /// <summary>
    /// A store on this server. Unless <paramref name="settings"/> or <paramref name="query"/> name one, its
    /// <c>socket_timeout</c> is <see cref="SocketTimeout"/>: the default (OSProfiler's 0.1 s, so a 1 s connect and 2 s
    /// operations) is the profiled service's, and a busy test machine can stall a handshake or a reply for longer.
    /// </summary>
    public ITraceStore Open(DriverSettings? settings = null, int db = 0, string query = "")
    {
        settings ??= new DriverSettings();
        if (settings.SocketTimeout == new DriverSettings().SocketTimeout) settings = settings with { SocketTimeout = SocketTimeout };
        return new RedisDriver().Open(ConnectionString.Parse(Url(db, query)), settings);
    }

    /// <summary>The <c>socket_timeout</c> of the stores <see cref="Open"/> gives: 30 s.</summary>
    public static readonly TimeSpan SocketTimeout = TimeSpan.FromSeconds(30);

    public virtual void Dispose()
    {
        if (_admin.IsValueCreated) _admin.Value.Dispose();
        Process.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A redis-server that requires the password <see cref="Secret"/>.</summary>
public sealed class PasswordRedisServer : RedisServer
{
    public const string Secret = "s3cret-Pa55word";

    public PasswordRedisServer() : base(Secret) { }
}
