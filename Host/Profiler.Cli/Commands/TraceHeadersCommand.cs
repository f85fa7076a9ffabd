using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Profiler.Instrumentation;

namespace Profiler.Cli.Commands;

/// <summary>
/// <c>profiler trace headers --hmac-key KEY [--format lines|curl|json|env] [--count N]</c>: prints signed
/// <c>X-Trace-Info</c>/<c>X-Trace-HMAC</c> headers (COMPAT §5), so a person or a load tool can profile requests against
/// a service configured with that key. Formats:
/// <list type="bullet">
/// <item><c>lines</c> (the default): <c>X-Trace-Info: …</c> and <c>X-Trace-HMAC: …</c>, two lines per set.</item>
/// <item><c>curl</c>: a curl config (<c>curl -K -</c>): a <c># base_id …</c> comment and two <c>header = "…"</c> lines; one set only.</item>
/// <item><c>json</c>: one object a line, <c>{"base_id", "parent_id", "X-Trace-Info", "X-Trace-HMAC"}</c>.</item>
/// <item><c>env</c>: one line of shell assignments a set, <c>X_TRACE_BASE_ID=… X_TRACE_INFO=… X_TRACE_HMAC=…</c>.</item>
/// </list>
/// <c>--count N</c> (1 to 100000, default 1) prints N sets, each with a fresh base id.
/// </summary>
internal static class TraceHeadersCommand
{
    /// <summary>The most sets one run prints.</summary>
    public const int MaxCount = 100_000;

    private static readonly string[] Formats = ["lines", "curl", "json", "env"];

    public static Command Create()
    {
        var key = new Option<string>("--hmac-key") { Description = "The key the receiving services are configured with (hmac_keys)", Required = true };
        var baseId = new Option<string?>("--base-id") { Description = "Continue this trace (default: a new UUID); only with one set" };
        var parentId = new Option<string?>("--parent-id") { Description = "Parent operation (default: the base id); only with one set" };
        var format = new Option<string>("--format")
        {
            Description = "lines (default: two header lines), curl (a config for curl -K -), json (one object a line) or env (shell assignments, one line a set)",
            DefaultValueFactory = _ => "lines",
        };
        var count = new Option<string>("--count")
        {
            Description = $"How many sets to print, each with a fresh base id (1 to {MaxCount}; default 1)",
            DefaultValueFactory = _ => "1",
        };
        var command = new Command("headers",
            "Print signed trace headers, e.g. profiler trace headers --hmac-key K --format curl | curl -K - URL")
        {
            key, baseId, parentId, format, count,
        };
        command.SetAction(result => CliErrors.Run(() =>
        {
            var chosen = result.GetValue(format) ?? "lines";
            if (!Formats.Contains(chosen, StringComparer.Ordinal))
                throw new CliException($"--format '{chosen}' is not known: use one of {string.Join(", ", Formats)}");
            var n = ParseCount(result.GetValue(count));
            var givenBase = result.GetValue(baseId);
            var givenParent = result.GetValue(parentId);
            if (n > 1 && (givenBase is not null || givenParent is not null))
                throw new CliException($"--count {n} makes {n} fresh base ids: leave out --base-id and --parent-id, or use --count 1");
            if (n > 1 && chosen == "curl")
                throw new CliException($"--format curl makes the config of one request, not {n}: use --format json or env with --count {n}");

            var hmacKey = result.GetValue(key)!;
            using var output = new StreamWriter(StandardOutput.Open(), new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
            for (var i = 0; i < n; i++)
            {
                var id = givenBase ?? Guid.NewGuid().ToString();
                var parent = givenParent ?? id;
                Write(output, chosen, id, parent, Sign(hmacKey, id, parent));
            }
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    private static int ParseCount(string? text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxCount) return n;
        throw new CliException($"--count '{text}' is not valid: use a whole number from 1 to {MaxCount}");
    }

    private static TraceHeaderValues Sign(string hmacKey, string baseId, string parentId)
    {
        try
        {
            return TraceHeaders.Create(hmacKey, baseId, parentId);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message.Split(" (Parameter")[0]);
        }
    }

    // Ids are safe (A-Z a-z 0-9 . _ : -) and the values base64url and hex: nothing needs quoting or escaping.
    private static void Write(StreamWriter output, string format, string baseId, string parentId, TraceHeaderValues headers)
    {
        switch (format)
        {
            case "curl":
                output.WriteLine($"# base_id {baseId}");
                output.WriteLine($"header = \"{TraceHeaders.InfoHeader}: {headers.Info}\"");
                output.WriteLine($"header = \"{TraceHeaders.HmacHeader}: {headers.Hmac}\"");
                break;
            case "json":
                output.WriteLine(new JsonObject
                {
                    ["base_id"] = baseId,
                    ["parent_id"] = parentId,
                    [TraceHeaders.InfoHeader] = headers.Info,
                    [TraceHeaders.HmacHeader] = headers.Hmac,
                }.ToJsonString());
                break;
            case "env":
                output.WriteLine($"X_TRACE_BASE_ID={baseId} X_TRACE_INFO={headers.Info} X_TRACE_HMAC={headers.Hmac}");
                break;
            default:
                foreach (var line in headers.ToLines()) output.WriteLine(line);
                break;
        }
    }
}
