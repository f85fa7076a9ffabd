using System.CommandLine;
using Profiler.Instrumentation;

namespace Profiler.Cli.Commands;

/// <summary>
/// <c>profiler trace headers --hmac-key KEY</c>: prints signed <c>X-Trace-Info</c>/<c>X-Trace-HMAC</c> lines
/// (COMPAT §5), so a person can profile one request with curl against a service configured with that key.
/// </summary>
internal static class TraceHeadersCommand
{
    public static Command Create()
    {
        var key = new Option<string>("--hmac-key") { Description = "The key the receiving services are configured with (hmac_keys)", Required = true };
        var baseId = new Option<string?>("--base-id") { Description = "Continue this trace (default: a new UUID)" };
        var parentId = new Option<string?>("--parent-id") { Description = "Parent operation (default: the base id)" };
        var command = new Command("headers", "Print signed trace headers for curl -H, e.g. curl $(profiler trace headers --hmac-key K | sed 's/^/-H /')")
        {
            key, baseId, parentId,
        };
        command.SetAction(result => CliErrors.Run(() =>
        {
            TraceHeaderValues headers;
            try
            {
                headers = TraceHeaders.Create(result.GetValue(key)!, result.GetValue(baseId), result.GetValue(parentId));
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message.Split(" (Parameter")[0]);
            }
            Console.WriteLine($"{TraceHeaders.InfoHeader}: {headers.Info}");
            Console.WriteLine($"{TraceHeaders.HmacHeader}: {headers.Hmac}");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }
}
