using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// The web shell behind <c>profiler serve</c>: the ingest and query API (<c>/api/v1/…</c>), <c>/health</c> and
/// the browser pages, on Kestrel, over any store a driver plugin serves.
/// </summary>
public static class WebShell
{
    /// <summary>
    /// Builds the application: services, Kestrel bound to <see cref="WebShellOptions.Urls"/>, middleware and endpoints.
    /// The store is opened here, so a malformed connection string (<see cref="FormatException"/>) or an unknown scheme
    /// (<see cref="TraceStoreException"/>) fails before anything listens. <paramref name="configure"/> may adjust
    /// the builder (logging, extra configuration) before it is built.
    /// </summary>
    public static WebApplication Build(WebShellOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null)
    {
        // The content root is the program's folder, not the current directory: an appsettings.json that happens to be
        // where `profiler serve` is started (another app's, say) must not change where it listens or what it serves.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // The ingest endpoint enforces MaxBodyBytes itself; nothing else reads a body.
            k.Limits.MaxRequestBodySize = Math.Max(options.MaxBodyBytes, 1);
        });
        OtlpEndpoints.AddOtlpGrpc(builder, options);
        configure?.Invoke(builder);

        var fromConfig = builder.Configuration.GetSection("Profiler");
        if (string.IsNullOrEmpty(options.IngestKey) && fromConfig["IngestKey"] is { Length: > 0 } key) options.IngestKey = key;
        if (options.HmacKeys.Count == 0 && fromConfig["HmacKeys"] is { Length: > 0 } hmac)
            options.HmacKeys = hmac.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        options.AllowedHosts ??= builder.Configuration["AllowedHosts"] is { Length: > 0 } hosts ? hosts
            : IsLoopbackOnly(options.Urls) && (options.OtlpGrpcUrls is null || IsLoopbackOnly(options.OtlpGrpcUrls)) ? WebShellOptions.LoopbackHosts : "*";
        // The host's own host filtering (400 for any other Host) reads these.
        builder.Services.Configure<HostFilteringOptions>(o =>
            o.AllowedHosts = options.AllowedHosts.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        if (options.Ttl is null && fromConfig["Ttl"] is { Length: > 0 } ttl) options.Ttl = Domain.RetentionPeriod.Parse("Profiler:Ttl", ttl);
        // The connection string's own ttl option wins, for the background prune as it does in the driver.
        if (Domain.ConnectionString.TryParse(options.ConnectionString, out var store, out _) && store?.GetPeriod("ttl") is { } storeTtl)
            options.Ttl = storeTtl;
        // A person waits on every query: an interactive read timeout (InteractiveReads), not OSProfiler's 0.1 s.
        var settings = InteractiveReads.Apply(WithTtl(options.DriverSettings, options.Ttl));

        builder.Services.AddSingleton(options);
        builder.Services.AddProblemDetails();
        builder.Services.AddTraceStore(options.ConnectionString, settings, options.PluginFolders);
        builder.Services.AddHostedService<PruneService>();
        builder.Services.AddSingleton(sp => new SecretRedactor(options));
        builder.Services.AddRouting();
        if (options.HmacKeys.Count > 0)
            builder.Services.AddProfiler(builder.Configuration, o =>
            {
                o.Enabled = true;
                o.HmacKeys = options.HmacKeys;
                o.Project ??= "profiler";
                o.Service ??= "serve";
            });

        var app = builder.Build();
        try
        {
            // Open the store now: a bad connection string fails here, plainly, instead of on the first request.
            app.Services.GetRequiredService<ITraceStore>();
        }
        catch
        {
            // The application owns file watchers and loggers: a host that retries must not leak one per failure.
            ((IDisposable)app).Dispose();
            throw;
        }

        app.Use(SecurityHeaders);
        app.UseMiddleware<ErrorMiddleware>();
        app.UseStatusCodePages();
        WireTraceHeaders(app, options);
        app.MapProfilerApi();
        app.MapProfilerPages();
        app.MapComparePage();
        OtlpEndpoints.MapOtlpGrpc(app, options);
        return app;
    }

    /// <summary>
    /// With <see cref="WebShellOptions.HmacKeys"/>, the server profiles its own requests: a request carrying an
    /// <c>X-Trace-Info</c> signed with one of the keys (COMPAT §5) continues the caller's trace as a <c>wsgi</c>
    /// operation, stored in the server's own store. Without keys, trace headers are ignored.
    /// </summary>
    private static void WireTraceHeaders(WebApplication app, WebShellOptions options)
    {
        if (options.HmacKeys.Count > 0) app.UseProfiler();
    }

    /// <summary><paramref name="settings"/> with <paramref name="ttl"/> when one is given (it wins over the settings' own).</summary>
    private static DriverSettings? WithTtl(DriverSettings? settings, TimeSpan? ttl) =>
        ttl is null ? settings : (settings ?? new DriverSettings()) with { Ttl = ttl };

    /// <summary>Maps the JSON API: ingest, listing, reports and <c>/health</c>.</summary>
    public static IEndpointRouteBuilder MapProfilerApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapIngestApi();
        endpoints.MapOtlpApi();
        endpoints.MapTraceApi();
        endpoints.MapAnalysisApi();
        endpoints.MapLifecycleApi();
        endpoints.MapHealthApi();
        return endpoints;
    }

    /// <summary>The addresses the started application listens on (the real ports when port 0 was asked for).</summary>
    public static IReadOnlyList<string> ListeningUrls(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    /// <summary>Whether every address in <paramref name="urls"/> is a loopback one.</summary>
    public static bool IsLoopbackOnly(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(u =>
        {
            if (!Uri.TryCreate(u.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal),
                    UriKind.Absolute, out var uri)) return false;
            return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        });

    /// <summary>Set as the response starts, so that error answers (whose headers are reset) carry them too.</summary>
    private static Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        context.Response.OnStarting(static state =>
        {
            var headers = ((HttpResponse)state).Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            headers.ContentSecurityPolicy = Pages.ContentSecurityPolicy;
            return Task.CompletedTask;
        }, context.Response);
        return next(context);
    }
}
