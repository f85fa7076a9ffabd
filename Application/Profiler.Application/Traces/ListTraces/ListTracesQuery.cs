using MediatR;
using Profiler.Storage;

namespace Profiler.Application.Traces.ListTraces;

/// <summary>
/// Lists traces newest first; with <paramref name="ErrorsOnly"/>, only those holding a failed operation.
/// <paramref name="Fields"/> are extra fields of each trace's earliest point.
/// </summary>
public sealed record ListTracesQuery(int Limit = 1000, string? Cursor = null, IReadOnlyList<string>? Fields = null,
    bool ErrorsOnly = false)
    : IRequest<TracePage>
{
    /// <summary>
    /// Only the traces these terms keep (null or empty: every trace). Needs a store with <see cref="ITraceStoreSearch"/>;
    /// otherwise the handler throws <see cref="Common.CapabilityNotSupportedException"/> rather than list unfiltered.
    /// </summary>
    public TraceSearchTerms? Search { get; init; }
}
