using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// The values of one row of OSProfiler's <c>data</c> table for a point (docs/osprofiler-formats.md §3), in the order of <see cref="Names"/>;
/// every writer fills a row from here, so that every backend stores the same values.
/// </summary>
internal static class DataColumns
{
    /// <summary>The columns a writer inserts; <c>data</c> last (the id is the server's).</summary>
    public const string Names = "timestamp, base_id, parent_id, trace_id, project, host, service, name, data";

    /// <summary>Columns a row has in <see cref="Names"/>.</summary>
    public const int Count = 9;

    /// <summary>The point's project, else the driver's (<see cref="DriverSettings.Project"/>).</summary>
    public static string? Project(TracePoint point, DriverSettings settings) => point.Project ?? settings.Project;

    /// <summary>
    /// The point's own host (<c>info.host</c>), else the driver's (<see cref="DriverSettings.Host"/>): the point's wins,
    /// the setting only fills in points that carry none, as for project and service (contract decision D4).
    /// </summary>
    public static string? Host(TracePoint point, DriverSettings settings) => point.Host ?? settings.Host;

    /// <summary>The point's service, else the driver's (<see cref="DriverSettings.Service"/>).</summary>
    public static string? Service(TracePoint point, DriverSettings settings) => point.Service ?? settings.Service;
}
