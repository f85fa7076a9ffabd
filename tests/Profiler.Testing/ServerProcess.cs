using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Profiler.Testing;

/// <summary>
/// A real server process a test fixture starts (redis-server, mariadbd, postgres …) in a temporary directory,
/// on a free loopback port, and kills on dispose. Output is kept for failure messages.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }
    public bool HasExited => _process.HasExited;
    public int Id => _process.Id;
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>
    /// Finds an executable on PATH or in the given extra folders. Throws with the Debian package to install
    /// when it is missing: a test never skips because a server is absent.
    /// </summary>
    public static string Require(string executable, string debianPackage, params string[] extraDirectories)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':').Concat(extraDirectories).Where(d => d.Length > 0))
        {
            var candidate = Path.Combine(dir, executable);
            if (File.Exists(candidate)) return candidate;
        }
        // A pattern such as /usr/lib/postgresql/*/bin: the highest matching folder wins.
        foreach (var pattern in extraDirectories.Where(d => d.Contains('*')))
        {
            var prefix = pattern.Split('*')[0];
            var parent = prefix.EndsWith('/') ? prefix.TrimEnd('/') : Path.GetDirectoryName(prefix) ?? "/";
            if (parent.Length == 0) parent = "/";
            if (!Directory.Exists(parent)) continue;
            foreach (var dir in Directory.GetDirectories(parent)
                         .Where(d => d.StartsWith(prefix, StringComparison.Ordinal))
                         .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var n) ? n : -1).ThenByDescending(d => d, StringComparer.Ordinal))
            {
                var candidate = Path.Combine(dir, pattern.Split('*')[1].Trim('/'), executable);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new InvalidOperationException(
            $"'{executable}' is not installed: install Debian's {debianPackage} (apt-get install -y {debianPackage}); .ci/run does this.");
    }

    /// <summary>
    /// Starts a process and returns once <paramref name="port"/> accepts connections and, when given, <paramref name="ready"/>
    /// succeeds (returns without throwing <see cref="InvalidOperationException"/>): for what a listening port does not
    /// prove, such as a unix socket created after the TCP listener, a database still starting up, or the port being this
    /// process's and not another test process's. Throws with the server's output, the process stopped, otherwise, after
    /// <paramref name="timeout"/> (default <see cref="Waiting.Patience"/>, for a loaded machine) for each of the two.
    /// </summary>
    public static ServerProcess Start(string name, string fileName, IEnumerable<string> arguments, int port,
        string? workingDirectory = null, IDictionary<string, string>? environment = null, TimeSpan? timeout = null,
        Action<ServerProcess>? ready = null)
    {
        var process = Launch(fileName, arguments, workingDirectory, environment);
        var server = new ServerProcess(process, name);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            server.WaitForPort(port, timeout ?? Waiting.Patience);
            if (ready is not null) server.WaitUntilReady(() => ready(server), timeout ?? Waiting.Patience);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Runs a command to completion; throws with its output when it fails.</summary>
    public static string Run(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IDictionary<string, string>? environment = null, TimeSpan? timeout = null, string? stdin = null)
    {
        using var process = Launch(fileName, arguments, workingDirectory, environment, stdin is not null);
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} timed out:\n{output}");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{output}");
        return output.ToString();
    }

    public void WaitForPort(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before listening on {port}:\n{Output}");
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new InvalidOperationException($"{Name} did not listen on 127.0.0.1:{port} within {timeout.TotalSeconds} s:\n{Output}");
    }

    private void WaitUntilReady(Action ready, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException(
                    $"{Name} exited with code {_process.ExitCode} before it was ready:\n{last?.Message}\n{Output}", last);
            try
            {
                ready();
                return;
            }
            catch (InvalidOperationException e)
            {
                last = e;
            }
            if (DateTime.UtcNow >= deadline)
                throw new InvalidOperationException(
                    $"{Name} was not ready within {timeout.TotalSeconds} s:\n{last.Message}\n{Output}", last);
            Thread.Sleep(100);
        }
    }

    /// <summary>
    /// Starts a server on a fresh free port, trying again on another port (up to three times) when the one
    /// chosen was taken between choosing and binding (tests in other processes pick free ports too).
    /// </summary>
    public static ServerProcess StartOnFreePort(Func<int, ServerProcess> start, out int port)
    {
        for (var attempt = 1; ; attempt++)
        {
            port = FreePort.Next();
            try
            {
                return start(port);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    /// <summary>Kills the process (SIGKILL) and waits for it.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private static Process Launch(string fileName, IEnumerable<string> arguments, string? workingDirectory,
        IDictionary<string, string>? environment, bool redirectInput = false)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment) info.Environment[k] = v;
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "profiler-test-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    /// <summary>Writes <paramref name="contents"/> to a new file of a fresh name in the directory and returns its path.</summary>
    public string NewFile(string contents, string extension = ".conf")
    {
        var path = System.IO.Path.Combine(Path, Guid.NewGuid().ToString("N") + extension);
        File.WriteAllText(path, contents);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
