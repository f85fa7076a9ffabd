using System.Diagnostics;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary>
/// Results go to the standard output as other Unix tools write theirs: redirected to a file, the next writer carries on
/// after them; a reader that goes away ends the output without an error.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class StandardOutputTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public void Output_redirected_to_a_file_is_followed_by_what_the_shell_writes_next()
    {
        var db = $"sqlite:///{_work.Path}/t.db";
        var alone = cli.Run(_work.Path, "trace", "list", "-c", db);
        Assert.True(alone.ExitCode == 0, alone.All);

        var shell = Shell($"(echo before; '{cli.Executable}' trace list -c '{db}'; '{cli.Executable}' trace list --json -c '{db}'; echo after) > out.txt");

        Assert.True(shell.ExitCode == 0, shell.Error);
        var json = cli.Run(_work.Path, "trace", "list", "--json", "-c", db).StandardOutput;
        Assert.Equal("before\n" + alone.StandardOutput + json + "after\n", File.ReadAllText(Path.Combine(_work.Path, "out.txt")));
    }

    [Fact]
    public void A_reader_that_stops_reading_ends_the_output_quietly()
    {
        var db = $"sqlite:///{_work.Path}/t.db";

        // The reader closes its end at once; the profiler (tens of milliseconds to start) then writes into a pipe
        // nobody reads: EPIPE, which it takes as the end of its output.
        var shell = Shell($"'{cli.Executable}' trace list -c '{db}'; echo \"exit $?\" >&2", pipeTo: "exec 0<&-");

        Assert.Contains("exit 0", shell.Error);
        Assert.DoesNotContain("profiler:", shell.Error);
    }

    private (int ExitCode, string Error) Shell(string script, string? pipeTo = null)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = _work.Path,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(pipeTo is null ? script : $"{{ {script}; }} | {{ {pipeTo}; }}");
        info.Environment.Remove("OSPROFILER_CONNECTION_STRING");
        info.Environment.Remove("PROFILER_PLUGINS_PATH");
        info.Environment["HOME"] = _work.Path;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(true);
            throw new TimeoutException($"sh -c {script} did not finish");
        }
        _ = stdout.Result;
        return (process.ExitCode, stderr.Result);
    }
}
