using MediatR;
using Profiler.Domain.Reports;

namespace Profiler.Application.Traces.GetTraceReport;

/// <summary>Builds the report of one trace; null when the store has no point of it.</summary>
public sealed record GetTraceReportQuery(string BaseId) : IRequest<TraceReport?>;
