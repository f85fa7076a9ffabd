using MediatR;
using Profiler.Domain.Reports;

namespace Profiler.Application.Traces.AnalyzeTrace;

/// <summary>
/// Analyses one trace (docs/analysis.md): critical path, self time, repeated statements, slowest operations;
/// null when the store has no point of it.
/// </summary>
public sealed record AnalyzeTraceQuery(string BaseId) : IRequest<TraceAnalysis?>;
