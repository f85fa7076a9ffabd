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
            EndPoints = { { "127.0.0.1", Port } }, Password = password, AllowAdmin = true, ConnectTimeout = 5000,
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

    public ITraceStore Open(DriverSettings? settings = null, int db = 0, string query = "") =>
        new RedisDriver().Open(ConnectionString.Parse(Url(db, query)), settings ?? new DriverSettings());

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
