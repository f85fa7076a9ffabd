using MediatR;

namespace Profiler.Application.Traces.ReindexTraces;

/// <summary>
/// Rebuilds the search summary of every trace from its points (traces OSProfiler wrote, or a store written before
/// search existed); returns how many traces were summarised. Needs a store with <see cref="Profiler.Storage.ITraceStoreSearch"/>.
/// </summary>
public sealed record ReindexTracesCommand : IRequest<long>;
