using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Profiler.Cli.Commands.Bench;

/// <summary>
/// Redis servers a bench starts on this machine for itself, in one temporary folder, on free loopback ports, without
/// persistence: one plain <c>redis-server</c> (<see cref="StartServer"/>) or a Redis Cluster of three primaries with a
/// replica each (<see cref="StartCluster"/>: six <c>redis-server --cluster-enabled yes</c> joined with
/// <c>redis-cli --cluster create</c>). Disposing kills every server it started and removes the folder.
/// </summary>
internal sealed class LocalRedis : IDisposable
{
    /// <summary>Primaries of the cluster; each gets one replica.</summary>
    public const int ClusterPrimaries = 3;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly string _server;
    private readonly string _cli;
    private readonly string _folder;
    private readonly List<Process> _processes = [];

    /// <param name="binFolder">The folder holding redis-server and redis-cli; null: found on PATH.</param>
    public LocalRedis(string? binFolder)
    {
        _server = Find("redis-server", "redis-server", binFolder);
        _cli = Find("redis-cli", "redis-tools", binFolder);
        _folder = Directory.CreateTempSubdirectory("profiler-bench-redis-").FullName;
    }

    /// <summary>Starts one plain redis-server; returns its URL, <c>redis://127.0.0.1:port/0</c>, and port.</summary>
    public (string Url, int Port) StartServer()
    {
        var port = Start("single", cluster: false);
        return ($"redis://127.0.0.1:{port}/0", port);
    }

    /// <summary>
    /// Starts a cluster of <see cref="ClusterPrimaries"/> primaries and as many replicas; returns once every node sees
    /// them all and every replica has synced, with the seed list URL naming every node.
    /// </summary>
    public (string Url, int[] Ports) StartCluster()
    {
        var ports = Enumerable.Range(0, ClusterPrimaries * 2).Select(i => Start("node" + i, cluster: true)).ToArray();
        Run(_cli, ["--cluster", "create", .. ports.Select(p => "127.0.0.1:" + p), "--cluster-replicas", "1", "--cluster-yes"]);
        foreach (var port in ports)
            WaitFor(() =>
            {
                var nodes = Cli(port, "CLUSTER", "NODES").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
                return Cli(port, "CLUSTER", "INFO").Contains("cluster_state:ok", StringComparison.Ordinal)
                       && nodes.Count(f => f[2].Contains("master", StringComparison.Ordinal) && !f[2].Contains("fail", StringComparison.Ordinal)) == ClusterPrimaries
                       && nodes.Count(f => f[2].Contains("slave", StringComparison.Ordinal) && !f[2].Contains("fail", StringComparison.Ordinal)) == ClusterPrimaries
                       && (!Cli(port, "ROLE").StartsWith("slave", StringComparison.Ordinal)
                           || Cli(port, "INFO", "replication").Contains("master_link_status:up", StringComparison.Ordinal));
            }, $"cluster node :{port} to see {ClusterPrimaries} primaries and {ClusterPrimaries} synced replicas");
        return ("redis://" + string.Join(",", ports.Select(p => "127.0.0.1:" + p)), ports);
    }

    /// <summary>Empties a server, or every primary of a cluster (replicas refuse FLUSHALL and follow their primary).</summary>
    public void Flush(IEnumerable<int> ports)
    {
        foreach (var port in ports)
            if (!Cli(port, "ROLE").StartsWith("slave", StringComparison.Ordinal)) Cli(port, "FLUSHALL");
    }

    private int Start(string name, bool cluster)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort(cluster);
            var dir = Path.Combine(_folder, name);
            Directory.CreateDirectory(dir);
            var info = new ProcessStartInfo(_server)
            {
                UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir,
            };
            foreach (var a in (string[])
                     [
                         "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--dir", dir, "--logfile", Path.Combine(dir, "redis.log"),
                         .. cluster ? ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"] : Array.Empty<string>(),
                     ])
                info.ArgumentList.Add(a);
            var process = Process.Start(info) ?? throw new CliException($"could not start {_server}", ExitCodes.Store);
            _processes.Add(process);
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                // Ready once it answers PING as this process (another program may have taken the port meanwhile).
                WaitFor(() => !process.HasExited && TryCli(port, "INFO", "server") is { } answer
                                                 && answer.Contains($"process_id:{process.Id}", StringComparison.Ordinal),
                    $"{_server} to listen on 127.0.0.1:{port}", () => process.HasExited);
                return port;
            }
            catch (CliException) when (attempt < 3)
            {
                // The port was taken between choosing and binding: another one.
            }
        }
    }

    private string Cli(int port, params string[] command) => Run(_cli, ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. command]);

    private string? TryCli(int port, params string[] command)
    {
        try
        {
            return Cli(port, command);
        }
        catch (CliException)
        {
            return null;
        }
    }

    private static string Run(string executable, string[] arguments)
    {
        var info = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new CliException($"could not start {executable}", ExitCodes.Store);
        // Both streams read in the background, so that a process that hangs is killed after Patience rather than waited for.
        var stderr = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(Patience))
        {
            process.Kill(entireProcessTree: true);
            throw new CliException($"{executable} {string.Join(' ', arguments)} did not finish within {Patience.TotalSeconds} s", ExitCodes.Store);
        }
        var stdout = output.Result;
        if (process.ExitCode != 0 || stdout.StartsWith("Could not connect", StringComparison.Ordinal))
            throw new CliException($"{executable} {string.Join(' ', arguments)} exited {process.ExitCode}: {stdout}{stderr.Result}".Trim(), ExitCodes.Store);
        return stdout;
    }

    private static void WaitFor(Func<bool> condition, string what, Func<bool>? gaveUp = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (gaveUp?.Invoke() == true) throw new CliException($"gave up waiting for {what}: the server exited", ExitCodes.Store);
            if (DateTime.UtcNow > deadline) throw new CliException($"timed out after {Patience.TotalSeconds} s waiting for {what}", ExitCodes.Store);
            Thread.Sleep(100);
        }
    }

    /// <summary>A free loopback port; for a cluster node, one whose cluster bus port (port + 10000) is free too.</summary>
    private static int FreePort(bool cluster)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (!cluster) return port;
            if (port <= 55535 && IsFree(port + 10000)) return port;
            if (attempt > 100) throw new CliException("found no free loopback port whose cluster bus port (+10000) is free too", ExitCodes.Store);
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>An executable in <paramref name="folder"/>, else on PATH; a missing one is an error naming the Debian package to install.</summary>
    private static string Find(string executable, string package, string? folder)
    {
        if (folder is not null)
        {
            var inFolder = Path.Combine(folder, executable);
            return File.Exists(inFolder)
                ? Path.GetFullPath(inFolder)
                : throw new CliException($"--redis-bin '{folder}' holds no {executable}: give the folder holding redis-server and redis-cli");
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, executable);
            if (File.Exists(candidate)) return candidate;
        }
        throw new CliException($"{executable} is not installed (not on PATH): install Debian's {package} (apt-get install {package}), " +
                               "or name the folder holding redis-server and redis-cli with --redis-bin");
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temporary-file cleanup.
        }
    }
}
