namespace Profiler.Storage;

/// <summary>
/// The store failed or cannot be used: unreachable, refused, too old, missing privileges. The message is safe to show
/// a user: it names the store, with its password redacted, and what would fix it.
/// </summary>
public class TraceStoreException : Exception
{
    /// <summary>Creates the exception with a message safe to show (no password in it).</summary>
    /// <param name="message">What failed, naming the store with its password redacted.</param>
    public TraceStoreException(string message) : base(message) { }

    /// <summary>Creates the exception with a message safe to show and the failure that caused it.</summary>
    /// <param name="message">What failed, naming the store with its password redacted.</param>
    /// <param name="inner">The underlying failure (its message may hold details not meant for users).</param>
    public TraceStoreException(string message, Exception? inner) : base(message, inner) { }
}
