using MediatR;
using Profiler.Storage;

namespace Profiler.Application.Traces.ListErrorTraces;

/// <summary>Lists traces holding a failed operation, newest first.</summary>
public sealed record ListErrorTracesQuery(int Limit = 1000, string? Cursor = null, IReadOnlyList<string>? Fields = null)
    : IRequest<TracePage>;
