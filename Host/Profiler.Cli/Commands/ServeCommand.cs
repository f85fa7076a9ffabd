using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Profiler.Hosting.Web;

namespace Profiler.Cli.Commands;

/// <summary><c>profiler serve</c>: the HTTP ingest and query API and the browser pages over the configured store.</summary>
internal static class ServeCommand
{
    public static Command Create(CommonOptions common)
    {
        var urls = new Option<string>("--urls")
        {
            Description = $"Addresses to listen on, separated by ';' (default {WebShellOptions.DefaultUrls}: loopback only)",
            DefaultValueFactory = _ => WebShellOptions.DefaultUrls,
        };
        var maxBody = new Option<long>("--max-body-bytes")
        {
            Description = "Largest POST /api/v1/points body accepted, in bytes; larger is answered 413 (default 10 MiB)",
            DefaultValueFactory = _ => WebShellOptions.DefaultMaxBodyBytes,
        };
        var ingestKey = new Option<string?>("--ingest-key")
        {
            Description = "Require this key on POST /api/v1/points (header X-Profiler-Ingest-Key or Authorization: Bearer). " +
                          "Also configuration Profiler:IngestKey, e.g. environment variable Profiler__IngestKey, which keeps it out of ps",
        };
        var hmacKeys = new Option<string?>("--hmac-keys")
        {
            Description = "Comma-separated keys for signed trace headers (X-Trace-Info/X-Trace-HMAC) on incoming requests. " +
                          "Also configuration Profiler:HmacKeys",
        };
        var ttl = new Option<string?>("--ttl")
        {
            Description = $"Retention: the store keeps traces this long ({Profiler.Domain.RetentionPeriod.Expected}); a store that can prune is " +
                          "pruned in the background. Also configuration Profiler:Ttl (default: kept forever)",
        };
        var pruneInterval = new Option<string?>("--prune-interval")
        {
            Description = "Time between background prunes with --ttl, same format (default 5m)",
        };
        var otlpGrpcUrls = new Option<string?>("--otlp-grpc-urls")
        {
            Description = "Also accept OTLP/gRPC (TraceService/Export) on these addresses, separated by ';': cleartext HTTP/2, " +
                          "e.g. http://127.0.0.1:4317 (keep it loopback unless --ingest-key is set). Default: none. " +
                          "OTLP/HTTP (POST /v1/traces) is always served on --urls",
        };
        var allowedHosts = new Option<string?>("--allowed-hosts")
        {
            Description = $"Host names answered (the request's Host header), separated by ';', '*' for any. Default: configuration " +
                          $"AllowedHosts if set; else, listening on loopback only, {WebShellOptions.LoopbackHosts} (a page whose domain " +
                          "resolves to 127.0.0.1 must not reach the shell: DNS rebinding); else any. Name the public host a local reverse proxy forwards",
        };
        var command = new Command("serve", "Serve the HTTP API (POST /api/v1/points, POST /v1/traces (OTLP), GET /api/v1/traces…, /health) and the trace pages")
        {
            urls, maxBody, ingestKey, hmacKeys, ttl, pruneInterval, otlpGrpcUrls, allowedHosts,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            var max = result.GetValue(maxBody);
            if (max < 1) throw new CliException($"--max-body-bytes {max} must be at least 1");
            var options = new WebShellOptions
            {
                ConnectionString = result.GetValue(common.ConnectionString) ?? CliContext.DefaultConnectionString(),
                PluginFolders = common.PluginFolders(result),
                Urls = result.GetValue(urls)!,
                OtlpGrpcUrls = result.GetValue(otlpGrpcUrls),
                MaxBodyBytes = max,
                IngestKey = result.GetValue(ingestKey),
                Ttl = result.GetValue(ttl) is { } t ? Profiler.Domain.RetentionPeriod.Parse("--ttl", t) : null,
                PruneInterval = result.GetValue(pruneInterval) is { } i ? Profiler.Domain.RetentionPeriod.Parse("--prune-interval", i) : WebShellOptions.DefaultPruneInterval,
                AllowedHosts = result.GetValue(allowedHosts),
                HmacKeys = (result.GetValue(hmacKeys) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            };
            // A server logs its requests' failures and its start at information unless told otherwise (-v).
            var level = common.LogLevel(result, fallback: LogLevel.Information);
            var app = WebShell.Build(options, configure: builder =>
            {
                builder.Logging.ClearProviders();
                builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
                builder.Logging.SetMinimumLevel(level);
                builder.Logging.AddFilter("Microsoft", CliVerbosity.FrameworkLevel(level));
                builder.Logging.AddFilter("Microsoft.AspNetCore", level == LogLevel.Trace ? LogLevel.Trace : LogLevel.Warning);
                builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", level <= LogLevel.Information ? LogLevel.Information : level);
                // A start failure (e.g. the address is in use) is reported as one line by CliErrors, not as a logged stack trace.
                builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
            });
            await using (app)
            {
                await app.StartAsync(ct);
                var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Profiler.Serve");
                CliLog.Serving(logger, Profiler.Domain.ConnectionString.Redact(options.ConnectionString), string.Join(", ", app.ListeningUrls()));
                // The addresses bound, not only --urls: configuration (Kestrel:Endpoints, e.g. from the environment) may add others.
                var listening = string.Join(';', app.ListeningUrls());
                if (!WebShell.IsLoopbackOnly(listening) && string.IsNullOrEmpty(options.IngestKey))
                    CliLog.OpenIngest(logger, listening);
                if (options.OtlpGrpcUrls is { Length: > 0 } grpc && !WebShell.IsLoopbackOnly(grpc) && string.IsNullOrEmpty(options.IngestKey))
                    CliLog.OpenIngest(logger, grpc);
                await app.WaitForShutdownAsync(ct);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
