using Profiler.Application.Traces.RecordTracePoints;

namespace Profiler.Cli.Commands.Bench;

/// <summary>What a bench run was asked for.</summary>
internal sealed record BenchSettings(int Points, int Traces, int PayloadBytes, int Concurrency, int BatchSize, int Repeat, bool Json)
{
    /// <summary>Points ingest writes, untimed, before the timed points.</summary>
    public int Warmup { get; init; }

    /// <summary>Whether a progress bar is drawn on stderr: not for JSON output nor when stderr is not a terminal.</summary>
    public bool ShowProgress => !Json && !Console.IsErrorRedirected;

    /// <summary>Throws <see cref="CliException"/> naming the first option out of range and the accepted range.</summary>
    public void Check()
    {
        static void Range(string name, int value, int min, int max)
        {
            if (value < min || value > max) throw new CliException($"--{name} {value} is out of range: use {min} to {max}");
        }
        Range("points", Points, 1, 100_000_000);
        Range("traces", Traces, 1, 10_000_000);
        Range("payload-bytes", PayloadBytes, 0, 1_000_000);
        Range("concurrency", Concurrency, 1, 1024);
        Range("batch-size", BatchSize, 1, RecordTracePointsCommand.MaxBatchSize);
        Range("repeat", Repeat, 1, 1000);
        Range("warmup", Warmup, 0, 100_000_000);
    }
}

/// <summary>What a run measured: points handled, seconds timed, per-operation latencies, the traces it wrote.</summary>
internal sealed record BenchFigures(long Points, double Seconds, List<double> LatenciesMs, IReadOnlyList<string> BaseIds)
{
    /// <summary>Extra figures of one mode, printed after the common ones.</summary>
    public System.Text.Json.Nodes.JsonObject Extra { get; init; } = [];
}
