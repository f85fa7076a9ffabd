using BenchmarkDotNet.Attributes;
using Profiler.Domain;

namespace Profiler.Benchmarks;

/// <summary>One point to its stored document and back (the Redis write and read paths).</summary>
[MemoryDiagnoser]
public class SerializationBenchmarks
{
    private TracePoint _point = null!;
    private byte[] _document = null!;

    [GlobalSetup]
    public void Setup()
    {
        _point = BenchData.Point(1);
        _document = TracePointJson.ToUtf8(_point);
    }

    [Benchmark]
    public byte[] TracePointJson_ToUtf8() => TracePointJson.ToUtf8(_point);

    [Benchmark]
    public StoredPoint StoredPoint_FromDocument() => StoredPoint.FromDocument(_document);
}
