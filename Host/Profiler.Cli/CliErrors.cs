using Profiler.Application.Common;
using Profiler.Hosting.Plugins;
using Profiler.Storage;
using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Cli;

/// <summary>A failure the CLI reports as one line and an exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Usage) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The trace was not found.</summary>
    public const int NotFound = 1;
    /// <summary>Bad input: arguments, connection string, files.</summary>
    public const int Usage = 2;
    /// <summary>The store failed or is unreachable, or its driver does not support what was asked (deleting, pinning, pruning, statistics).</summary>
    public const int Store = 3;
    /// <summary>A bug: an exception nobody expected.</summary>
    public const int Internal = 70;
}

internal static class CliErrors
{
    /// <summary>Runs a command, turning every failure into one line on stderr and an exit code; never a stack trace.</summary>
    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    public static async Task<int> Run(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (CliException e)
        {
            return Fail(e.Message, e.ExitCode);
        }
        catch (CapabilityNotSupportedException e)
        {
            return Fail(e.Describe(DriverName), ExitCodes.Store);
        }
        catch (ValidationException e)
        {
            return Fail(e.Message, ExitCodes.Usage);
        }
        catch (FormatException e)
        {
            return Fail(e.Message, ExitCodes.Usage);
        }
        catch (TraceStoreException e)
        {
            // The built-in drivers scrub their messages; a third party's may not have.
            return Fail(Redact(e.Message), ExitCodes.Store);
        }
        catch (Exception e) when (MissingAssembly(e) is { } missing)
        {
            // Before IOException: FileNotFoundException is one, and a plugin's missing dependency is not the user's file.
            return Fail(Redact(Describe(e, missing)), ExitCodes.Store);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(e.Message, ExitCodes.Usage);
        }
        catch (OperationCanceledException)
        {
            return Fail("cancelled", 130);
        }
        catch (Exception e)
        {
            if (Environment.GetEnvironmentVariable("PROFILER_DEBUG") == "1") Console.Error.WriteLine(Redact(e.ToString()));
            var plugin = PluginOf(e);
            var origin = plugin is null ? "" : $" from plugin '{plugin.Value.Name}' ({plugin.Value.Folder})";
            return Fail($"unexpected {e.GetType().Name}{origin}: {Redact(e.Message)} (set PROFILER_DEBUG=1 for details)",
                ExitCodes.Internal);
        }
    }

    /// <summary>
    /// The assembly that failed to load, when <paramref name="e"/> (or an exception inside it) is the runtime failing to
    /// load one (its <c>FileName</c> is an assembly name, not a path); null otherwise.
    /// </summary>
    private static string? MissingAssembly(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            var name = x switch
            {
                FileNotFoundException f => f.FileName,
                FileLoadException f => f.FileName,
                _ => null,
            };
            if (name is not null && name.Contains(", Version=", StringComparison.Ordinal)) return name;
        }
        return null;
    }

    /// <summary>Names the plugin that needed <paramref name="assembly"/>: the one whose code threw, else the one whose dependency list names it.</summary>
    private static string Describe(Exception e, string assembly)
    {
        var plugin = PluginOf(e);
        if (plugin is null && PluginCatalog.PluginsDependingOn(assembly) is [var (name, folder), ..]) plugin = (name, folder);
        var who = plugin is null ? "a plugin" : $"plugin '{plugin.Value.Name}' ({plugin.Value.Folder})";
        return $"{who} could not load its dependency '{assembly}': the assembly is missing from the plugin's folder. " +
               "Install the plugin with its dependencies (the output of dotnet publish, not of dotnet build).";
    }

    private static volatile Profiler.Domain.ConnectionString? _store;

    /// <summary>
    /// The connection string in use: its password is removed from what an unexpected failure prints, since a plugin's
    /// own message may hold it (the drivers' expected failures are redacted by the drivers and the store factory).
    /// </summary>
    public static void RedactPasswordOf(Profiler.Domain.ConnectionString? store) => _store = store;

    /// <summary>The driver named in "does not support" messages: the connection string's scheme.</summary>
    public static string DriverName => _store?.Scheme ?? "store's";

    private static string Redact(string text) => _store?.ScrubPassword(text) ?? text;

    /// <summary>
    /// The plugin whose code threw <paramref name="e"/> (or an exception inside it): the first frame, from the throw
    /// on, in an assembly a plugin's load context loaded (the driver's or one of its dependencies, as
    /// StackExchange.Redis). Its folder under <c>plugins/</c> names the plugin.
    /// </summary>
    private static (string Name, string Folder)? PluginOf(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            foreach (var frame in new System.Diagnostics.StackTrace(x, false).GetFrames())
            {
                var assembly = frame.GetMethod()?.DeclaringType?.Assembly;
                if (assembly is null || assembly.IsDynamic
                    || System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(assembly) is not { } context
                    || context == System.Runtime.Loader.AssemblyLoadContext.Default
                    || Path.GetDirectoryName(assembly.Location) is not { Length: > 0 } folder)
                    continue;
                return (Path.GetFileName(folder), folder);
            }
        return null;
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine("profiler: " + message.ReplaceLineEndings(" "));
        return code;
    }
}
