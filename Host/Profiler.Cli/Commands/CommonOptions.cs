using System.CommandLine;
using Microsoft.Extensions.Logging;
using Profiler.Hosting.Plugins;

namespace Profiler.Cli.Commands;

/// <summary>Options every store command shares: the store, the plugin folders, the log verbosity.</summary>
internal sealed class CommonOptions
{
    public Option<string?> ConnectionString { get; } = new("--connection-string", "-c")
    {
        Description = $"Collector URL, e.g. redis://:password@127.0.0.1:6379/0 or sqlite:///profiler.db " +
                      $"(default: ${CliContext.ConnectionStringVariable}, else a SQLite file in your data folder)",
        Recursive = true,
    };

    public Option<string[]> Plugins { get; } = new("--plugins")
    {
        Description = "Folder holding driver plugins (<folder>/<Name>/<Name>.dll); repeatable; must exist. Search order: " +
                      $"these folders, then ${PluginCatalog.PathVariable}, then plugins/ beside the executable; the first driver found for a scheme serves it.",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> Verbosity { get; } = new("--verbosity", "-v")
    {
        Description = $"Log detail on stderr, the drivers' logs included: {CliVerbosity.Accepted} " +
                      "(default minimal: warnings and errors; -v alone: detailed)",
        Recursive = true,
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>The plugin folders in search order; a <c>--plugins</c> folder that does not exist is an error naming it.</summary>
    public IReadOnlyList<string> PluginFolders(ParseResult result)
    {
        var given = result.GetValue(Plugins) ?? [];
        foreach (var folder in given)
        {
            if (File.Exists(folder))
                throw new CliException($"--plugins '{folder}' is a file; give the folder holding the plugins (<folder>/<Name>/<Name>.dll)");
            if (!Directory.Exists(folder))
                throw new CliException($"--plugins folder '{folder}' does not exist ({Path.GetFullPath(folder)}); give a folder holding <Name>/<Name>.dll plugins");
        }
        return PluginCatalog.DefaultFolders(given);
    }

    /// <summary>The log level asked for with <c>-v</c>/<c>--verbosity</c>; <paramref name="fallback"/> when not given.</summary>
    public LogLevel LogLevel(ParseResult result, LogLevel fallback = Microsoft.Extensions.Logging.LogLevel.Warning) =>
        result.GetResult(Verbosity) is null ? fallback : CliVerbosity.Parse(result.GetValue(Verbosity));

    public CliContext Context(ParseResult result)
    {
        var level = LogLevel(result);
        var context = new CliContext(result.GetValue(ConnectionString), PluginFolders(result), level);
        // An unparsable connection string fails on opening, with its own redacted message; there is no password to scrub.
        CliErrors.RedactPasswordOf(Profiler.Domain.ConnectionString.TryParse(context.ConnectionString, out var parsed, out _) ? parsed : null);
        return context;
    }
}
