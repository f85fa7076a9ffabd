namespace Profiler.Domain.Reports;

/// <summary>
/// Two analysed traces compared (docs/analysis.md): per operation name the count, inclusive and exclusive
/// milliseconds in each, the names found in only one, and both critical paths.
/// </summary>
public sealed class TraceDiff
{
    private TraceDiff(TraceAnalysis a, TraceAnalysis b, IReadOnlyList<KeyValuePair<string, NameDiff>> byName)
    {
        A = a;
        B = b;
        ByName = byName;
        Added = byName.Where(p => p.Value.CountA == 0).Select(p => p.Key).ToList();
        Removed = byName.Where(p => p.Value.CountB == 0).Select(p => p.Key).ToList();
    }

    /// <summary>The first trace (the baseline).</summary>
    public TraceAnalysis A { get; }

    /// <summary>The second trace.</summary>
    public TraceAnalysis B { get; }

    /// <summary>Every operation name of either trace, in ordinal order.</summary>
    public IReadOnlyList<KeyValuePair<string, NameDiff>> ByName { get; }

    /// <summary>Names found only in <see cref="B"/>, ordinal order.</summary>
    public IReadOnlyList<string> Added { get; }

    /// <summary>Names found only in <see cref="A"/>, ordinal order.</summary>
    public IReadOnlyList<string> Removed { get; }

    /// <summary>Compares <paramref name="a"/> (the baseline) with <paramref name="b"/>.</summary>
    public static TraceDiff Compare(TraceAnalysis a, TraceAnalysis b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var names = new SortedDictionary<string, NameDiff>(StringComparer.Ordinal);
        foreach (var (name, t) in a.ByName) names[name] = new NameDiff(t.Count, 0, t.TotalMs, 0, t.SelfMs, 0);
        foreach (var (name, t) in b.ByName)
        {
            names.TryGetValue(name, out var d);
            names[name] = d with { CountB = t.Count, TotalMsB = t.TotalMs, SelfMsB = t.SelfMs };
        }
        return new TraceDiff(a, b, names.ToList());
    }
}

/// <summary>One operation name in both traces (zeros where it is absent).</summary>
public readonly record struct NameDiff(int CountA, int CountB, long TotalMsA, long TotalMsB, long SelfMsA, long SelfMsB);
