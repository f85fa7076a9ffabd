using BenchmarkDotNet.Attributes;
using Profiler.Domain;
using Profiler.Domain.Reports;

namespace Profiler.Benchmarks;

/// <summary>The report of one 100,000-point trace (50,000 operations): building it, and writing its JSON.</summary>
[MemoryDiagnoser]
public class ReportBuilderBenchmarks
{
    private StoredPoint[] _points = null!;
    private TraceReport _report = null!;

    [Params(100_000)]
    public int Points { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _points = BenchData.Documents(Points).Select(d => StoredPoint.FromDocument(d)).ToArray();
        _report = Build();
    }

    [Benchmark]
    public TraceReport Build()
    {
        var builder = new ReportBuilder();
        foreach (var p in _points) builder.Add(p);
        return builder.Build();
    }

    [Benchmark]
    public void WriteJson() => ReportJson.Write(Stream.Null, _report);
}
