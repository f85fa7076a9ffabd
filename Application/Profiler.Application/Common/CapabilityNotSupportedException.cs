namespace Profiler.Application.Common;

/// <summary>
/// The store's driver lacks an optional capability a use case needs (pinning, pruning, statistics): nothing was done.
/// A caller that knows the driver's name says so: <c>the redis driver does not support pinning traces</c>
/// (<see cref="Describe"/>); the CLI exits with 3 and the web shell answers 501.
/// </summary>
/// <param name="capability">What the driver cannot do, e.g. <c>pinning traces</c>.</param>
/// <param name="contract">The interface the driver's store would implement, e.g. <c>ITraceStorePinning</c>.</param>
public sealed class CapabilityNotSupportedException(string capability, string contract)
    : Exception($"the store's driver does not support {capability} (its store does not implement {contract})")
{
    /// <summary>What the driver cannot do, e.g. <c>pinning traces</c>.</summary>
    public string Capability { get; } = capability;

    /// <summary>The interface the driver's store would implement, e.g. <c>ITraceStorePinning</c>.</summary>
    public string Contract { get; } = contract;

    /// <summary>The message naming the driver: <c>the &lt;driver&gt; driver does not support …</c>.</summary>
    /// <param name="driver">The driver's name or its connection string's scheme.</param>
    public string Describe(string driver) => $"the {driver} driver does not support {Capability} (its store does not implement {Contract})";
}
