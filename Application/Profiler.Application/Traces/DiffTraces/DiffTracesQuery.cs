using MediatR;
using Profiler.Domain.Reports;

namespace Profiler.Application.Traces.DiffTraces;

/// <summary>Compares trace <paramref name="BaseIdA"/> (the baseline) with <paramref name="BaseIdB"/> (docs/analysis.md).</summary>
public sealed record DiffTracesQuery(string BaseIdA, string BaseIdB) : IRequest<DiffTracesResult>;

/// <summary>The comparison, or the ids the store has no point of.</summary>
/// <param name="Diff">Null when either trace is missing.</param>
/// <param name="Missing">The base ids not found, in the order asked (empty when <paramref name="Diff"/> is set).</param>
public sealed record DiffTracesResult(TraceDiff? Diff, IReadOnlyList<string> Missing);
