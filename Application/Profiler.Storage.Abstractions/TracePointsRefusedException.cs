namespace Profiler.Storage;

/// <summary>
/// The store refused some points of a write for good and stored all the others: sending the refused ones again would
/// be refused again (for example, on Redis, a trace whose key holds a value of another type, put there by something
/// else). A driver throws it from <see cref="ITraceStore.WriteAsync(IReadOnlyList{Profiler.Domain.TracePoint}, Guid, CancellationToken)"/>
/// only when every point not in <see cref="Refused"/> is stored, exactly once under the write's batch id, so that the
/// caller can count the refused points and move on instead of retrying the write. Any failure that may pass is a plain
/// <see cref="TraceStoreException"/>.
/// </summary>
public sealed class TracePointsRefusedException : TraceStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why, naming the traces (their base ids) and the store with its password redacted.</param>
    /// <param name="refused">The positions, in the written list, of the points the store refused; at least one.</param>
    /// <param name="inner">The store's own error, if any.</param>
    public TracePointsRefusedException(string message, IReadOnlyList<int> refused, Exception? inner = null) : base(message, inner)
    {
        ArgumentNullException.ThrowIfNull(refused);
        if (refused.Count == 0) throw new ArgumentException("a refusal names at least one point", nameof(refused));
        Refused = refused;
    }

    /// <summary>The positions, in the written list, of the points the store refused (in ascending order).</summary>
    public IReadOnlyList<int> Refused { get; }
}
