using System.CommandLine;

namespace Profiler.Cli.Commands;

/// <summary>Options every store command shares.</summary>
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
        Description = "Extra folder holding driver plugins (<folder>/<Name>/<Name>.dll); repeatable. Also $PROFILER_PLUGINS_PATH.",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public CliContext Context(ParseResult result)
    {
        var context = new CliContext(result.GetValue(ConnectionString), result.GetValue(Plugins) ?? []);
        Profiler.Domain.ConnectionString.TryParse(context.ConnectionString, out var parsed, out _);
        CliErrors.RedactPasswordOf(parsed);
        return context;
    }
}
