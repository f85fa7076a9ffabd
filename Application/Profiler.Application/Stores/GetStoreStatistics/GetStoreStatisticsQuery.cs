using MediatR;
using Profiler.Storage;

namespace Profiler.Application.Stores.GetStoreStatistics;

/// <summary>
/// What the store holds: traces, points, oldest and newest timestamp, bytes where the backend can tell, pinned traces
/// (<see cref="ITraceStoreStatistics"/>). May read the whole store. Throws
/// <see cref="Common.CapabilityNotSupportedException"/> when the store's driver cannot count.
/// </summary>
public sealed record GetStoreStatisticsQuery : IRequest<TraceStoreStatistics>;
