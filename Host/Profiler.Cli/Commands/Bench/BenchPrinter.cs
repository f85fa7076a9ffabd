using System.Text.Json.Nodes;

namespace Profiler.Cli.Commands.Bench;

/// <summary>The figures of a run: one JSON object (<c>--json</c>) or a few lines of text; percentiles and peak memory.</summary>
internal static class BenchPrinter
{
    public static void Print(string mode, string store, string prefix, BenchFigures f, JsonObject? cleanup, bool json)
    {
        var rate = f.Seconds > 0 ? f.Points / f.Seconds : 0;
        var result = Figures(mode, store, prefix, f);
        if (cleanup is not null) result["cleanup"] = cleanup;
        if (json)
        {
            Console.WriteLine(result.ToJsonString());
            return;
        }
        Console.WriteLine($"{mode} on {store}: {f.Points} points in {f.Seconds:F3} s = {rate:F0} points/s; " +
                          $"per operation p50 {result["p50_ms"]} ms, p99 {result["p99_ms"]} ms; peak RSS {PeakRssBytes() / 1048576} MiB");
        if (mode == "overhead")
            Console.WriteLine($"trace scope start+stop: median {result["ns_per_scope_median"]} ns, p99 {result["ns_per_scope_p99"]} ns, " +
                              $"mean {result["ns_per_scope_mean"]} ns (per-batch means of {result["scopes_per_batch"]} scopes); " +
                              $"{result["points_stored"]} points stored, {result["points_dropped"]} dropped; " +
                              $"Activity start+stop (listener sampling everything): median {result["activity_ns_median"]} ns; " +
                              $"scope/Activity {result["scope_to_activity_ratio"]} (goal <= 1.5)");
        Console.WriteLine(cleanup is null ? $"data left under base ids {prefix}-*"
            : (bool)cleanup["supported"]! ? $"cleanup: deleted {cleanup["deleted_traces"]} traces under {prefix}-*"
            : $"cleanup: not supported by this store; data left under base ids {prefix}-*");
    }

    /// <summary>
    /// The figures of one run as a JSON object: mode, store, run, points, seconds, points_per_second, p50_ms, p99_ms,
    /// peak_rss_bytes, then the mode's own (<see cref="BenchFigures.Extra"/>, moved into it).
    /// </summary>
    public static JsonObject Figures(string mode, string store, string prefix, BenchFigures f)
    {
        var rate = f.Seconds > 0 ? f.Points / f.Seconds : 0;
        var result = new JsonObject
        {
            ["mode"] = mode, ["store"] = store, ["run"] = prefix, ["points"] = f.Points, ["seconds"] = Math.Round(f.Seconds, 4),
            ["points_per_second"] = Math.Round(rate), ["p50_ms"] = Math.Round(Percentile(f.LatenciesMs, 0.5), 3),
            ["p99_ms"] = Math.Round(Percentile(f.LatenciesMs, 0.99), 3), ["peak_rss_bytes"] = PeakRssBytes(),
        };
        foreach (var (key, value) in f.Extra.ToList())
        {
            f.Extra.Remove(key);
            result[key] = value;
        }
        return result;
    }

    /// <summary>The <paramref name="p"/> percentile (nearest rank) of <paramref name="values"/>; 0 when empty.</summary>
    public static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Clamp(Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Peak resident set size of this process (Linux VmHWM), in bytes; the working set where unknown.</summary>
    public static long PeakRssBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Environment.WorkingSet;
    }
}
