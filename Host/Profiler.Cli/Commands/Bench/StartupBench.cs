using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Profiler.Cli.Commands.Bench;

/// <summary>
/// <c>bench startup</c>: how long short commands take from process start to exit, against a .NET "hello world"
/// console app published the same way (framework-dependent, ReadyToRun for this machine's runtime) — the runtime's
/// own start-up. Runs this very executable as a new process: <c>trace list</c> on an empty SQLite store (its table
/// made by an untimed first run), <c>trace headers</c> and <c>drivers</c>, each <c>--runs</c> times, interleaved
/// with the baseline so that a busy machine slows all alike, after one untimed round. Reports each command's median
/// wall time, its ratio to the baseline's, and the median CPU time (user+system) of each, which a busy machine
/// moves less. The baseline is published with the .NET SDK into a temporary folder unless <c>--baseline</c> names one.
/// </summary>
internal static class StartupBench
{
    /// <summary>The ratio to the baseline each command should stay within.</summary>
    public const double TargetRatio = 2.5;

    public static Command Create(CommonOptions common)
    {
        var runs = new Option<int>("--runs") { Description = "Timed runs of each command (and of the baseline); the median is reported", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the figures" };
        var baseline = new Option<string?>("--baseline")
        {
            Description = "A published hello-world executable to compare with [default: one published now with `dotnet publish -r <this runtime> -p:PublishReadyToRun=true` into a temporary folder]",
        };
        var command = new Command("startup", "Time short commands from process start to exit against a published .NET hello world") { runs, json, baseline };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            var n = result.GetValue(runs);
            if (n < 1) throw new CliException($"--runs {n} is not a number of runs: give 1 or more");
            using var work = new TempFolder();
            var hello = result.GetValue(baseline) is { } given ? Checked(given) : await PublishHelloAsync(work.Path, ct);
            common.PluginFolders(result); // checks the --plugins folders
            var figures = Measure(hello, work.Path, result.GetValue(common.Plugins) ?? [], n, ct);
            Print(figures, n, hello, result.GetValue(json));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Checked(string path) =>
        File.Exists(path) ? Path.GetFullPath(path) : throw new CliException($"--baseline '{path}' is not a file: give a published hello-world executable");

    /// <summary>A measured command: its name as shown and its arguments.</summary>
    private sealed record Subject(string Name, string[] Arguments);

    private sealed record Figures(string Name, double WallMs, double CpuMs);

    private static List<Figures> Measure(string hello, string work, string[] pluginFolders, int runs, CancellationToken ct)
    {
        var (self, prefix) = SelfCommand();
        var db = "sqlite:///" + Path.Combine(work, "empty.db");
        var plugins = pluginFolders.SelectMany(f => new[] { "--plugins", Path.GetFullPath(f) }).ToArray();
        Subject[] subjects =
        [
            new("hello world (baseline)", []),
            new("trace list (empty SQLite store)", [.. prefix, "trace", "list", "-c", db, .. plugins]),
            new("trace headers", [.. prefix, "trace", "headers", "--hmac-key", "bench"]),
            new("drivers", [.. prefix, "drivers", .. plugins]),
        ];
        var wall = subjects.Select(_ => new List<double>()).ToArray();
        var cpu = subjects.Select(_ => new List<double>()).ToArray();
        // Round 0 is untimed: it creates the store's table and brings the files into the page cache.
        for (var round = 0; round <= runs; round++)
            for (var i = 0; i < subjects.Length; i++)
            {
                ct.ThrowIfCancellationRequested();
                var (ms, cpuMs) = RunOnce(i == 0 ? hello : self, subjects[i], work);
                if (round == 0) continue;
                wall[i].Add(ms);
                cpu[i].Add(cpuMs);
            }
        return subjects.Select((s, i) => new Figures(s.Name, BenchPrinter.Percentile(wall[i], 0.5), BenchPrinter.Percentile(cpu[i], 0.5))).ToList();
    }

    /// <summary>This executable and the arguments that run it again (<c>dotnet profiler.dll</c> when started that way).</summary>
    private static (string Executable, string[] Prefix) SelfCommand()
    {
        var path = Environment.ProcessPath ?? throw new CliException("cannot tell this process's executable, so it cannot be started again", ExitCodes.Internal);
        var name = Path.GetFileNameWithoutExtension(path);
        return name.Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? (path, [typeof(StartupBench).Assembly.Location])
            : (path, []);
    }

    /// <summary>Runs one process to its end; its wall time and CPU time (user+system, where the platform tells) in ms.</summary>
    private static (double WallMs, double CpuMs) RunOnce(string executable, Subject subject, string work)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = work,
        };
        foreach (var a in subject.Arguments) info.ArgumentList.Add(a);
        var cpuBefore = ChildrenCpuMs();
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new CliException($"could not start {executable}", ExitCodes.Internal);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var wallMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (process.ExitCode != 0)
            throw new CliException($"'{subject.Name}' ({executable} {string.Join(' ', subject.Arguments)}) exited {process.ExitCode}: " +
                                   (stderr.Result + stdout.Result).Trim(), ExitCodes.Internal);
        return (wallMs, ChildrenCpuMs() - cpuBefore);
    }

    /// <summary>Publishes a hello-world console app the way the profiler is published into <paramref name="work"/>.</summary>
    private static async Task<string> PublishHelloAsync(string work, CancellationToken ct)
    {
        var project = Path.Combine(work, "hello");
        Directory.CreateDirectory(project);
        var framework = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
        await File.WriteAllTextAsync(Path.Combine(project, "hello.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>{framework}</TargetFramework>
                <InvariantGlobalization>true</InvariantGlobalization>
                <ImplicitUsings>disable</ImplicitUsings>
              </PropertyGroup>
            </Project>
            """, ct);
        await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), "System.Console.WriteLine(\"Hello, World!\");\n", ct);
        var output = Path.Combine(work, "hello-published");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = project,
        };
        foreach (var a in new[] { "publish", "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, "--self-contained", "false",
                     "-p:PublishReadyToRun=true", "-o", output, "-nologo" })
            info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new CliException($"could not run the .NET SDK (dotnet) to publish the hello-world baseline ({e.Message}); install it or give --baseline");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            var exe = Path.Combine(output, OperatingSystem.IsWindows() ? "hello.exe" : "hello");
            if (process.ExitCode != 0 || !File.Exists(exe))
                throw new CliException($"publishing the hello-world baseline failed (dotnet publish exited {process.ExitCode}); give --baseline instead: " +
                                       (await stdout + await stderr).Trim());
            return exe;
        }
    }

    private static void Print(List<Figures> figures, int runs, string hello, bool json)
    {
        var baseline = figures[0];
        var commands = figures.Skip(1).ToList();
        double Ratio(Figures f) => baseline.WallMs > 0 ? Math.Round(f.WallMs / baseline.WallMs, 2) : 0;
        var maxRatio = commands.Max(Ratio);
        if (json)
        {
            var list = new JsonArray();
            foreach (var f in commands)
                list.Add(new JsonObject
                {
                    ["command"] = f.Name, ["ms_median"] = Math.Round(f.WallMs, 1), ["cpu_ms_median"] = Math.Round(f.CpuMs, 1), ["ratio"] = Ratio(f),
                });
            Console.WriteLine(new JsonObject
            {
                ["mode"] = "startup", ["runs"] = runs, ["runtime"] = RuntimeInformation.FrameworkDescription, ["baseline"] = hello,
                ["baseline_ms_median"] = Math.Round(baseline.WallMs, 1), ["baseline_cpu_ms_median"] = Math.Round(baseline.CpuMs, 1),
                ["commands"] = list, ["max_ratio"] = maxRatio, ["target_ratio"] = TargetRatio, ["met"] = maxRatio <= TargetRatio,
            }.ToJsonString());
            return;
        }
        Console.WriteLine($"start-up, median of {runs} runs ({RuntimeInformation.FrameworkDescription}); baseline {hello}");
        Console.WriteLine($"{"command",-34} {"wall ms",9} {"cpu ms",9} {"ratio",7}");
        foreach (var f in figures)
            Console.WriteLine($"{f.Name,-34} {f.WallMs,9:F1} {f.CpuMs,9:F1} {(f == baseline ? "1.00" : Ratio(f).ToString("F2", System.Globalization.CultureInfo.InvariantCulture)),7}");
        Console.WriteLine($"largest ratio {maxRatio:F2} (target <= {TargetRatio}): {(maxRatio <= TargetRatio ? "met" : "not met")}");
    }

    /// <summary>CPU time (user+system) of this process's waited-for children so far, in ms; 0 where unknown.</summary>
    private static double ChildrenCpuMs()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return 0;
        try
        {
            return GetRusage(-1 /* RUSAGE_CHILDREN */, out var usage) == 0
                ? (usage.UserSeconds + usage.SystemSeconds) * 1e3 + (usage.UserMicros + usage.SystemMicros) / 1e3
                : 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        // The rest of struct rusage (14 longs), unused.
        public long F1, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12, F13, F14;
    }

    // DllImport, not LibraryImport: the struct is blittable, and LibraryImport would need unsafe code in the project.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, out RUsage usage);
#pragma warning restore SYSLIB1054

    /// <summary>A temporary folder, deleted afterwards.</summary>
    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("profiler-bench-startup-").FullName;

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // Left for the system's temporary-file cleanup.
            }
        }
    }
}
