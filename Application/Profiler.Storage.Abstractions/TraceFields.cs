namespace Profiler.Storage;

/// <summary>The point fields a listing can return for each trace (<see cref="TraceListQuery.Fields"/>).</summary>
public static class TraceFields
{
    /// <summary>
    /// <c>base_id</c>, <c>timestamp</c>, <c>name</c>, <c>trace_id</c>, <c>parent_id</c>, <c>project</c>, <c>service</c>
    /// and <c>host</c>: the columns of OSProfiler's SQL table and the top-level keys of its Redis documents.
    /// </summary>
    public static readonly IReadOnlyList<string> Allowed =
        ["base_id", "timestamp", "name", "trace_id", "parent_id", "project", "service", "host"];
}
