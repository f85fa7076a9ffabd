using System.CommandLine;
using Profiler.Hosting.Plugins;
using Profiler.Storage;

namespace Profiler.Cli.Commands;

/// <summary>
/// <c>profiler drivers [-c URL]</c>: the driver plugins found, their schemes and versions; with a connection string
/// given, also which driver serves it and what it connected to (e.g. a Redis server or a Redis Cluster), or that it is
/// a write-only store (exit 0: nothing to connect to until a write).
/// </summary>
internal static class DriversCommand
{
    /// <summary>A base id no trace has, for stores without pinning (see <see cref="ConnectAsync"/>).</summary>
    private const string ProbeId = "profiler-drivers-probe";

    /// <summary>
    /// Makes the store connect with a cheap read: its pinned traces (one small set or an indexed table) where it keeps
    /// pins, else a trace that does not exist. Null when the store answered; the store's own words when it cannot be
    /// read at all, as a write-only store (the <c>otlp</c> driver, which only forwards points) cannot: its read throws a
    /// <see cref="TraceStoreException"/>, and it has none of the capabilities (<see cref="CanBeRead"/>) that only a
    /// readable store can have. A write-only store is reached by its first write, which the check must not make: the
    /// contract has no way to reach a store without storing something. A failed read of any other store throws.
    /// </summary>
    private static async Task<string?> ConnectAsync(ITraceStore store, CancellationToken ct)
    {
        if (store is ITraceStorePinning pinning)
        {
            await pinning.ListPinnedAsync(ct);
            return null;
        }
        try
        {
            await foreach (var _ in store.ReadTraceAsync(ProbeId, ct)) break;
            return null;
        }
        catch (TraceStoreException e) when (!CanBeRead(store))
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Whether the store has a capability that reads what it stored (deleting, pinning, pruning, statistics, search): then
    /// it is a readable store, and a read that fails means it cannot be reached.
    /// </summary>
    private static bool CanBeRead(ITraceStore store) =>
        store is ITraceStoreCleanup or ITraceStorePinning or ITraceStorePruning or ITraceStoreStatistics or ITraceStoreSearch;

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
                var unreadable = await ConnectAsync(store, ct);
                var url = Profiler.Domain.ConnectionString.Parse(context.ConnectionString);
                var driver = catalog.Drivers.FirstOrDefault(d => d.Driver.Schemes.Contains(url.Scheme));
                Console.WriteLine();
                if (unreadable is not null)
                {
                    // The store's own words on a line of their own: why it cannot be read (the otlp driver: where it forwards to).
                    Console.WriteLine($"{context.ShownConnectionString}: driver {driver?.Driver.Name ?? url.Scheme}, write-only: not connected " +
                                      "(a store that cannot be read is reached by its first write, and this check stores nothing)");
                    Console.WriteLine("  " + url.ScrubPassword(unreadable));
                    return ExitCodes.Ok;
                }
                // A store describes what it connected to through ToString (the Redis driver: "Redis Cluster redis://…");
                // one that does not is named by its driver.
                var described = store.ToString() is { } text ? url.ScrubPassword(text) : null;
                Console.WriteLine($"{context.ShownConnectionString}: driver {driver?.Driver.Name ?? url.Scheme}" +
                                  (described is not null && described != store.GetType().ToString() ? $", connected to {described}" : ", connected"));
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
