using MediatR;

namespace Profiler.Application.Stores.CheckStore;

/// <summary>
/// Whether the store answers within <paramref name="Timeout"/>: reads a trace no one has (touching the store through
/// its index, returning nothing). Never throws for an unreachable store: the answer says what went wrong.
/// </summary>
/// <param name="Timeout">Time allowed, more than zero and at most <see cref="MaxTimeout"/>.</param>
public sealed record CheckStoreQuery(TimeSpan Timeout) : IRequest<StoreHealth>
{
    /// <summary>Longest <see cref="Timeout"/>: 5 minutes.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);
}

/// <summary>The answer of <see cref="CheckStoreQuery"/>.</summary>
/// <param name="IsHealthy">True when the store answered in time.</param>
/// <param name="Problem">Why not, as the store said it (password redacted by the driver); null when healthy.</param>
public sealed record StoreHealth(bool IsHealthy, string? Problem)
{
    /// <summary>A store that answered.</summary>
    public static StoreHealth Healthy { get; } = new(true, null);
}
