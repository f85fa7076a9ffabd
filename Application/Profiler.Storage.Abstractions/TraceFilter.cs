namespace Profiler.Storage;

/// <summary>
/// What a search keeps (<see cref="TraceListQuery.Filter"/>): every condition given must hold; a null condition is not
/// checked. Only stores with <see cref="ITraceStoreSearch"/> take a filter.
/// </summary>
/// <param name="Service">A point of the trace has this service (exact, case-sensitive). Default null.</param>
/// <param name="Project">A point of the trace has this project. Default null.</param>
/// <param name="Host">A point of the trace has this host. Default null.</param>
/// <param name="Name">An operation of this name appears in the trace: a point named <c>&lt;Name&gt;-start</c> or
/// <c>&lt;Name&gt;-stop</c> (or exactly <c>Name</c> for a point without either suffix). Default null.</param>
/// <param name="MinDuration">The trace lasts at least this long: from its earliest point to its latest, inclusive. Default null.</param>
/// <param name="MaxDuration">The trace lasts at most this long (inclusive). Default null.</param>
/// <param name="Since">The trace starts (its earliest point) at or after this UTC time. Default null.</param>
/// <param name="Until">The trace starts at or before this UTC time. Default null.</param>
public sealed record TraceFilter(
    string? Service = null,
    string? Project = null,
    string? Host = null,
    string? Name = null,
    TimeSpan? MinDuration = null,
    TimeSpan? MaxDuration = null,
    DateTime? Since = null,
    DateTime? Until = null)
{
    /// <summary>True when no condition is set: the filter keeps every trace.</summary>
    public bool IsEmpty => Service is null && Project is null && Host is null && Name is null
                           && MinDuration is null && MaxDuration is null && Since is null && Until is null;

    /// <summary>Whether a trace <paramref name="digest"/> describes meets every condition (the in-memory rule a driver may use).</summary>
    public bool Matches(TraceDigest digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        if (Service is not null && !digest.Services.Contains(Service)) return false;
        if (Project is not null && !digest.Projects.Contains(Project)) return false;
        if (Host is not null && !digest.Hosts.Contains(Host)) return false;
        if (Name is not null && !digest.Names.Contains(Name)) return false;
        var start = digest.StartMicroseconds;
        var duration = digest.DurationMicroseconds;
        if (MinDuration is { } min && duration < TraceDigest.Microseconds(min)) return false;
        if (MaxDuration is { } max && duration > TraceDigest.Microseconds(max)) return false;
        if (Since is { } since && start < TraceDigest.UnixMicroseconds(since)) return false;
        if (Until is { } until && start > TraceDigest.UnixMicroseconds(until)) return false;
        return true;
    }
}
