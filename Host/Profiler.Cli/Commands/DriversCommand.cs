using System.CommandLine;
using Profiler.Hosting.Plugins;

namespace Profiler.Cli.Commands;

/// <summary>
/// <c>profiler drivers [-c URL]</c>: the driver plugins found, their schemes and versions; with a connection string
/// given, also which driver serves it and what it connected to (e.g. a Redis server or a Redis Cluster).
/// </summary>
internal static class DriversCommand
{
    /// <summary>A base id no trace has, for stores without pinning (see <see cref="ConnectAsync"/>).</summary>
    private const string ProbeId = "profiler-drivers-probe";

    /// <summary>
    /// Makes the store connect with a cheap read: its pinned traces (one small set or an indexed table) where it keeps
    /// pins, else a trace that does not exist.
    /// </summary>
    private static async Task ConnectAsync(Profiler.Storage.ITraceStore store, CancellationToken ct)
    {
        if (store is Profiler.Storage.ITraceStorePinning pinning)
        {
            await pinning.ListPinnedAsync(ct);
            return;
        }
        await foreach (var _ in store.ReadTraceAsync(ProbeId, ct)) break;
    }

    public static Command Create(CommonOptions common)
    {
        var command = new Command("drivers",
            "List the storage driver plugins found, their schemes and versions; with -c, connect and say which driver serves " +
            "the URL and in which mode (e.g. Redis or Redis Cluster)");
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            var catalog = PluginCatalog.Load(common.PluginFolders(result));
            Console.WriteLine($"{"driver",-14} {"schemes",-44} {"version",-9} plugin");
            foreach (var d in catalog.Drivers)
                Console.WriteLine($"{d.Driver.Name,-14} {string.Join(", ", d.Driver.Schemes),-44} {d.Version,-9} {d.Plugin} ({d.AssemblyPath})");
            if (catalog.Drivers.Count == 0) Console.WriteLine("(no driver found)");
            Console.WriteLine();
            Console.WriteLine("Plugin folders searched: " + string.Join(", ", catalog.Folders));
            foreach (var w in catalog.Warnings) Console.Error.WriteLine("profiler: warning: " + w);
            if (result.GetValue(common.ConnectionString) is not null)
            {
                await using var context = common.Context(result);
                var store = context.Store;
                await ConnectAsync(store, ct);
                // A store describes what it connected to through ToString (the Redis driver: "Redis Cluster redis://…");
                // one that does not is named by its driver.
                var described = store.ToString() is { } text ? Profiler.Domain.ConnectionString.Parse(context.ConnectionString).ScrubPassword(text) : null;
                var scheme = Profiler.Domain.ConnectionString.Parse(context.ConnectionString).Scheme;
                var driver = catalog.Drivers.FirstOrDefault(d => d.Driver.Schemes.Contains(scheme));
                Console.WriteLine();
                Console.WriteLine($"{context.ShownConnectionString}: driver {driver?.Driver.Name ?? scheme}" +
                                  (described is not null && described != store.GetType().ToString() ? $", connected to {described}" : ", connected"));
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
