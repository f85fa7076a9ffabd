using Profiler.Testing;
using StackExchange.Redis;

namespace Profiler.Faults.Tests.Corrupt;

/// <summary>A real redis-server on a free loopback port, no persistence, optionally with a password; killed on dispose.</summary>
public sealed class AdminRedisServer : IDisposable
{
    private readonly TempDirectory _dir = new("profiler-faults-redis-");
    private readonly ServerProcess _process;
    private readonly Lazy<ConnectionMultiplexer> _admin;

    public AdminRedisServer(string? password = null)
    {
        Password = password;
        Port = FreePort.Next();
        var arguments = new List<string> { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _dir.Path };
        if (password is not null) arguments.AddRange(["--requirepass", password]);
        _process = ServerProcess.Start($"redis-server :{Port}", ServerProcess.Require("redis-server", "redis-server"), arguments, Port, _dir.Path);
        _admin = new Lazy<ConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", Port } }, Password = password, AllowAdmin = true,
            ConnectTimeout = 30_000, SyncTimeout = 30_000, AsyncTimeout = 30_000, // generous for a loaded machine
        }));
    }

    public int Port { get; }
    public string? Password { get; }
    public IDatabase Db => _admin.Value.GetDatabase(0);

    public string Url(string query = "") =>
        $"redis://{(Password is null ? "" : ":" + Uri.EscapeDataString(Password) + "@")}127.0.0.1:{Port}/0{query}";

    public void Dispose()
    {
        if (_admin.IsValueCreated) _admin.Value.Dispose();
        _process.Dispose();
        _dir.Dispose();
    }
}
