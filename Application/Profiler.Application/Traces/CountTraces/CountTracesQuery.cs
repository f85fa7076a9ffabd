using MediatR;
using Profiler.Application.Traces.ListTraces;

namespace Profiler.Application.Traces.CountTraces;

/// <summary>
/// How many traces a search keeps (<paramref name="Search"/> null: all of them; <paramref name="ErrorsOnly"/>: only
/// failed ones). Needs a store with <see cref="Profiler.Storage.ITraceStoreSearch"/>.
/// </summary>
public sealed record CountTracesQuery(TraceSearchTerms? Search = null, bool ErrorsOnly = false) : IRequest<long>;
