using MediatR;
using Profiler.Storage;

namespace Profiler.Application.Traces.ListTraces;

/// <summary>Lists traces newest first. <paramref name="Fields"/> are extra fields of each trace's earliest point.</summary>
public sealed record ListTracesQuery(int Limit = 1000, string? Cursor = null, IReadOnlyList<string>? Fields = null)
    : IRequest<TracePage>;
