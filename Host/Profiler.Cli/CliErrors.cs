using Profiler.Application.Common;
using Profiler.Application.Ports;

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
    /// <summary>The store failed or is unreachable.</summary>
    public const int Store = 3;
    /// <summary>A bug: an exception nobody expected.</summary>
    public const int Internal = 70;
}

internal static class CliErrors
{
    /// <summary>Runs a command, turning every failure into one line on stderr and an exit code; never a stack trace.</summary>
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
            return Fail(e.Message, ExitCodes.Store);
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
            if (Environment.GetEnvironmentVariable("PROFILER_DEBUG") == "1") Console.Error.WriteLine(e);
            return Fail($"unexpected {e.GetType().Name}: {e.Message} (set PROFILER_DEBUG=1 for details)", ExitCodes.Internal);
        }
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine("profiler: " + message.ReplaceLineEndings(" "));
        return code;
    }
}
