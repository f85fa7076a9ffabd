namespace Profiler.Testing;

/// <summary>
/// A real redis-server on a free loopback port in its own temporary directory that a test can kill (SIGKILL) and
/// start again on the same port and directory, for outage tests. No client library: inspect it with
/// <see cref="Cli"/> or through a store. By default nothing is persisted; with <paramref name="durable"/> the
/// server keeps an append-only file fsynced on every write, so what it acknowledged survives a kill.
/// </summary>
public sealed class RedisProcess : IDisposable
{
    private static readonly string[] DurableArguments = ["--appendonly", "yes", "--appendfsync", "always"];
    private static readonly string[] VolatileArguments = ["--appendonly", "no"];

    private readonly TempDirectory _dir = new("profiler-redis-");
    private readonly string _executable;
    private string[] _arguments = [];

    public RedisProcess(bool durable = false, params string[] extraArguments)
    {
        _executable = ServerProcess.Require("redis-server", "redis-server");
        Process = ServerProcess.StartOnFreePort(port =>
        {
            Port = port;
            _arguments =
            [
                "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--dir", _dir.Path,
                .. durable ? DurableArguments : VolatileArguments,
                .. extraArguments,
            ];
            return Start();
        }, out _);
    }

    public int Port { get; private set; }
    public string Directory => _dir.Path;
    public ServerProcess Process { get; private set; }
    public bool IsRunning => !Process.HasExited;

    /// <summary>redis://127.0.0.1:port/db plus an optional query.</summary>
    public string Url(int db = 0, string query = "") => $"redis://127.0.0.1:{Port}/{db}{query}";

    /// <summary>Kills the server (SIGKILL): clients see the connection drop and refused reconnects.</summary>
    public void Kill() => Process.Kill();

    /// <summary>Starts the server again on the same port and directory once it was killed.</summary>
    public void Restart()
    {
        Process.Kill();
        Process.Dispose();
        Process = Start();
    }

    /// <summary>Runs a command with redis-cli and returns its output.</summary>
    public string Cli(params string[] command) =>
        ServerProcess.Run(ServerProcess.Require("redis-cli", "redis-tools"),
            ["-h", "127.0.0.1", "-p", Port.ToString(), .. command], timeout: TimeSpan.FromSeconds(30));

    private ServerProcess Start()
    {
        // The port was free a moment ago; right after a kill the kernel may still hold it briefly.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // An open port could belong to another test process's server: ready once it is this one.
                return ServerProcess.Start($"redis-server :{Port}", _executable, _arguments, Port, _dir.Path, ready: server =>
                {
                    if (!Cli("INFO", "server").Split('\n').Any(line => line.Trim() == $"process_id:{server.Id}"))
                        throw new InvalidOperationException($"127.0.0.1:{Port} answers, but not as process {server.Id}");
                });
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                Thread.Sleep(200);
            }
        }
    }

    public void Dispose()
    {
        Process.Dispose();
        _dir.Dispose();
    }
}
