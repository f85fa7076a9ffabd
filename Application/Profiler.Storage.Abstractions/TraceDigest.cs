using Profiler.Domain;

namespace Profiler.Storage;

/// <summary>
/// The summary of one trace, or of the points of it one batch holds, built point by point: what a search filters and
/// a listing shows. Drivers keep one per trace beside the points and merge a batch's digest into it on every write
/// (<see cref="Merge"/>); <see cref="Add(StoredPoint)"/> rebuilds one from stored points (traces OSProfiler wrote).
/// </summary>
/// <remarks>
/// Times are microseconds since the Unix epoch (UTC). A trace's start is its earliest point (on a tie, the one added
/// first), which also names the root operation; its stop is its latest point; its duration stop minus start.
/// Operations are the <c>-start</c> points; the trace has an error when a <c>-stop</c> point carries <c>info.etype</c>.
/// </remarks>
public sealed class TraceDigest
{
    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;

    /// <summary>A digest of no points yet.</summary>
    /// <param name="baseId">The trace's base id.</param>
    public TraceDigest(string baseId) => BaseId = baseId;

    /// <summary>The trace's base id.</summary>
    public string BaseId { get; }

    /// <summary>The earliest point's time (µs since the Unix epoch); <see cref="long.MaxValue"/> before a point with a time.</summary>
    public long StartMicroseconds { get; private set; } = long.MaxValue;

    /// <summary>The latest point's time (µs since the Unix epoch); <see cref="long.MinValue"/> before a point with a time.</summary>
    public long StopMicroseconds { get; private set; } = long.MinValue;

    /// <summary>Whether any point had a time.</summary>
    public bool HasTime => StartMicroseconds != long.MaxValue;

    /// <summary>Stop minus start, 0 before a point with a time.</summary>
    public long DurationMicroseconds => HasTime ? StopMicroseconds - StartMicroseconds : 0;

    /// <summary>The earliest point's timestamp in OSProfiler's text form, "" before a point with a time.</summary>
    public string StartText => HasTime ? TraceTimestamp.FromDateTime(new DateTime(EpochTicks + StartMicroseconds * 10, DateTimeKind.Utc)).ToString() : "";

    /// <summary>The operation of the earliest point (<see cref="OperationName"/>), null before a point.</summary>
    public string? Root { get; private set; }

    /// <summary>The <c>-start</c> points added.</summary>
    public int Operations { get; private set; }

    /// <summary>Points added.</summary>
    public int Points { get; private set; }

    /// <summary>Whether a <c>-stop</c> point with <c>info.etype</c> was added.</summary>
    public bool Error { get; private set; }

    /// <summary>Distinct services of the points (ordinal order).</summary>
    public SortedSet<string> Services { get; } = new(StringComparer.Ordinal);

    /// <summary>Distinct projects of the points.</summary>
    public SortedSet<string> Projects { get; } = new(StringComparer.Ordinal);

    /// <summary>Distinct hosts of the points.</summary>
    public SortedSet<string> Hosts { get; } = new(StringComparer.Ordinal);

    /// <summary>Distinct operation names of the points (<see cref="OperationName"/>).</summary>
    public SortedSet<string> Names { get; } = new(StringComparer.Ordinal);

    /// <summary>A point's operation: its name without a trailing <c>-start</c> or <c>-stop</c>.</summary>
    /// <param name="pointName">The point's name, e.g. <c>db-start</c>.</param>
    public static string OperationName(string pointName)
    {
        ArgumentNullException.ThrowIfNull(pointName);
        if (pointName.EndsWith("-start", StringComparison.Ordinal)) return pointName[..^6];
        if (pointName.EndsWith("-stop", StringComparison.Ordinal)) return pointName[..^5];
        return pointName;
    }

    /// <summary>Whole microseconds since the Unix epoch of a UTC time (an unspecified kind is taken as UTC).</summary>
    /// <param name="utc">The time.</param>
    public static long UnixMicroseconds(DateTime utc) =>
        ((utc.Kind == DateTimeKind.Local ? utc.ToUniversalTime() : utc).Ticks - EpochTicks) / 10;

    /// <summary>Whole microseconds of a duration.</summary>
    /// <param name="duration">The duration.</param>
    public static long Microseconds(TimeSpan duration) => duration.Ticks / 10;

    /// <summary>Adds a point as a writer stores it: project, service and host default to <paramref name="settings"/>'s (D4).</summary>
    /// <param name="point">A valid point of this trace.</param>
    /// <param name="settings">The store's defaults; null for none.</param>
    public void Add(TracePoint point, DriverSettings? settings)
    {
        ArgumentNullException.ThrowIfNull(point);
        long? time = TraceTimestamp.TryParse(point.Timestamp, out var ts) ? (ts.Ticks - EpochTicks) / 10 : null;
        Add(point.Name, time, point.Project ?? settings?.Project, point.Service ?? settings?.Service,
            point.Host ?? settings?.Host, point.IsStop && point.ErrorType is not null);
    }

    /// <summary>Adds a point as a store gave it back; an unreadable point is skipped.</summary>
    /// <param name="point">A point of this trace.</param>
    public void Add(StoredPoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (!point.IsReadable) return;
        Add(point.Name, (point.Timestamp.Ticks - EpochTicks) / 10, point.Project, point.Service, point.Host,
            point.Name.EndsWith("-stop", StringComparison.Ordinal) && point.ErrorType is not null);
    }

    // The last point's operation, project, service and host: a trace's points mostly repeat them (an operation's start
    // and stop), and a repeat needs neither the operation's substring nor a search of the sets (writers digest every
    // point they store).
    private string? _lastOperation, _lastProject, _lastService, _lastHost;

    /// <summary>Whether <see cref="OperationName"/> of <paramref name="name"/> is <paramref name="operation"/>, without a substring.</summary>
    private static bool IsOperationOf(string name, string operation)
    {
        if (!name.StartsWith(operation, StringComparison.Ordinal)) return false;
        var rest = name.AsSpan(operation.Length);
        return rest.IsEmpty
            ? !name.EndsWith("-start", StringComparison.Ordinal) && !name.EndsWith("-stop", StringComparison.Ordinal)
            : rest.SequenceEqual("-start") || rest.SequenceEqual("-stop");
    }

    private void Add(string name, long? time, string? project, string? service, string? host, bool error)
    {
        Points++;
        string operation;
        if (_lastOperation is not null && IsOperationOf(name, _lastOperation)) operation = _lastOperation;
        else
        {
            operation = OperationName(name);
            Names.Add(operation);
            _lastOperation = operation;
        }
        if (name.EndsWith("-start", StringComparison.Ordinal)) Operations++;
        if (error) Error = true;
        if (project is not null && !string.Equals(project, _lastProject, StringComparison.Ordinal)) Projects.Add(_lastProject = project);
        if (service is not null && !string.Equals(service, _lastService, StringComparison.Ordinal)) Services.Add(_lastService = service);
        if (host is not null && !string.Equals(host, _lastHost, StringComparison.Ordinal)) Hosts.Add(_lastHost = host);
        if (Root is null && !HasTime) Root = operation;
        if (time is { } t)
        {
            if (t < StartMicroseconds)
            {
                StartMicroseconds = t;
                Root = operation;
            }
            if (t > StopMicroseconds) StopMicroseconds = t;
        }
    }

    /// <summary>Merges a later batch's digest of the same trace into this one (its start wins only when strictly earlier).</summary>
    /// <param name="later">The digest of points stored after this one's.</param>
    public void Merge(TraceDigest later)
    {
        ArgumentNullException.ThrowIfNull(later);
        if (later.HasTime && later.StartMicroseconds < StartMicroseconds)
        {
            StartMicroseconds = later.StartMicroseconds;
            Root = later.Root;
        }
        else if (Root is null) Root = later.Root;
        if (later.StopMicroseconds > StopMicroseconds) StopMicroseconds = later.StopMicroseconds;
        Points += later.Points;
        Operations += later.Operations;
        Error |= later.Error;
        Services.UnionWith(later.Services);
        Projects.UnionWith(later.Projects);
        Hosts.UnionWith(later.Hosts);
        Names.UnionWith(later.Names);
    }

    /// <summary>One digest per trace of a batch, in the order each trace first appears.</summary>
    /// <param name="points">The batch (valid points).</param>
    /// <param name="settings">The store's defaults; null for none.</param>
    public static IReadOnlyList<TraceDigest> OfBatch(IReadOnlyList<TracePoint> points, DriverSettings? settings)
    {
        ArgumentNullException.ThrowIfNull(points);
        var byId = new Dictionary<string, TraceDigest>(StringComparer.Ordinal);
        var result = new List<TraceDigest>();
        TraceDigest? last = null;
        foreach (var p in points)
        {
            if (last is null || !string.Equals(last.BaseId, p.BaseId, StringComparison.Ordinal))
            {
                if (!byId.TryGetValue(p.BaseId, out last))
                {
                    last = new TraceDigest(p.BaseId);
                    byId.Add(p.BaseId, last);
                    result.Add(last);
                }
            }
            last.Add(p, settings);
        }
        return result;
    }

    /// <summary>The listing row of this digest (<see cref="TraceSummary"/>) with no extra fields.</summary>
    public TraceSummary ToSummary() => ToSummary(new Dictionary<string, string?>());

    /// <summary>The listing row of this digest with the given extra fields.</summary>
    /// <param name="fields">The row's <see cref="TraceSummary.Fields"/>.</param>
    public TraceSummary ToSummary(IReadOnlyDictionary<string, string?> fields) => new(BaseId, StartText, fields)
    {
        DurationMs = DurationMicroseconds / 1000.0,
        Root = Root,
        Services = Services.ToArray(),
        Operations = Operations,
        Error = Error,
    };
}
