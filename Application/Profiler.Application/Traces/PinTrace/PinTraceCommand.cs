using MediatR;

namespace Profiler.Application.Traces.PinTrace;

/// <summary>
/// Pins or unpins a trace (<see cref="Profiler.Storage.ITraceStorePinning"/>): a pinned trace survives retention and
/// pruning. Throws <see cref="Common.CapabilityNotSupportedException"/> when the store's driver cannot pin.
/// </summary>
/// <param name="BaseId">The trace, a safe id.</param>
/// <param name="Pinned">True to pin, false to unpin.</param>
public sealed record PinTraceCommand(string BaseId, bool Pinned) : IRequest<PinTraceResult>;

/// <summary>The answer of <see cref="PinTraceCommand"/>.</summary>
/// <param name="Found">False when the store holds no point of the trace (nothing was pinned).</param>
public sealed record PinTraceResult(bool Found);
