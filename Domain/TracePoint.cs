using System.Text.Json.Nodes;

namespace Profiler.Domain;

/// <summary>
/// One trace point as an application records it (docs/osprofiler-formats.md §1): the start or the stop
/// of one traced operation. <see cref="Name"/> ends in <c>-start</c> or <c>-stop</c>.
/// </summary>
public sealed class TracePoint
{
    /// <summary><c>&lt;operation&gt;-start</c> or <c>&lt;operation&gt;-stop</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Shared by every point of one trace.</summary>
    public required string BaseId { get; init; }

    /// <summary>Identifies one traced operation; its start and stop share it.</summary>
    public required string TraceId { get; init; }

    /// <summary>The enclosing operation's <see cref="TraceId"/>, or <see cref="BaseId"/> at the top.</summary>
    public required string ParentId { get; init; }

    /// <summary>UTC time in OSProfiler's text form; see <see cref="TraceTimestamp"/>.</summary>
    public required string Timestamp { get; init; }

    /// <summary>Free-form details; the profiler always puts <c>host</c> here. A failed stop carries <c>etype</c> and <c>message</c>.</summary>
    public JsonObject? Info { get; init; }

    /// <summary>Project name; filled by the storing driver when absent.</summary>
    public string? Project { get; init; }

    /// <summary>Service name; filled by the storing driver when absent.</summary>
    public string? Service { get; init; }

    /// <summary><c>info.host</c> when it is a string.</summary>
    public string? Host => Info is not null && Info.TryGetPropertyValue("host", out var h) && h is JsonValue v
        && v.TryGetValue<string>(out var host) ? host : null;

    /// <summary><c>info.etype</c> when it is a string: the exception type of a failed operation.</summary>
    public string? ErrorType => Info is not null && Info.TryGetPropertyValue("etype", out var e) && e is JsonValue v
        && v.TryGetValue<string>(out var etype) ? etype : null;

    /// <summary>True for a point whose name ends in <c>-stop</c>.</summary>
    public bool IsStop => Name.EndsWith("-stop", StringComparison.Ordinal);
}
