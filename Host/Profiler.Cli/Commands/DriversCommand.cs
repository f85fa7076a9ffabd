using System.CommandLine;
using Profiler.Hosting.Plugins;

namespace Profiler.Cli.Commands;

internal static class DriversCommand
{
    public static Command Create(CommonOptions common)
    {
        var command = new Command("drivers", "List the storage driver plugins found, their schemes and versions");
        command.SetAction(result => CliErrors.Run(() =>
        {
            var catalog = PluginCatalog.Load(common.PluginFolders(result));
            Console.WriteLine($"{"driver",-14} {"schemes",-44} {"version",-9} plugin");
            foreach (var d in catalog.Drivers)
                Console.WriteLine($"{d.Driver.Name,-14} {string.Join(", ", d.Driver.Schemes),-44} {d.Version,-9} {d.Plugin} ({d.AssemblyPath})");
            if (catalog.Drivers.Count == 0) Console.WriteLine("(no driver found)");
            Console.WriteLine();
            Console.WriteLine("Plugin folders searched: " + string.Join(", ", catalog.Folders));
            foreach (var w in catalog.Warnings) Console.Error.WriteLine("profiler: warning: " + w);
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }
}
