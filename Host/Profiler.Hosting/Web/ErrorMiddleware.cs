using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Profiler.Application.Common;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// Turns every exception into problem details: an unreachable store is 503 with <c>Retry-After</c>, a rejected
/// request 400, a body over the limit 413, anything unexpected 500 without a stack trace. Server-side failures are
/// logged with secrets redacted.
/// </summary>
internal sealed class ErrorMiddleware(RequestDelegate next, ILogger<ErrorMiddleware> logger, SecretRedactor redactor, WebShellOptions options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
        catch (Exception e)
        {
            if (context.Response.HasStarted)
            {
                WebLog.FailedAfterResponseStarted(logger, context.Request.Method, context.Request.Path.Value, redactor.Redact(e.ToString()));
                context.Abort();
                return;
            }
            context.Response.Clear();
            await Map(context, e).ExecuteAsync(context);
        }
    }

    /// <summary>The browser pages answer errors as HTML; everything else as problem details.</summary>
    private static bool IsPage(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method)
        && (context.Request.Path == "/" || context.Request.Path.StartsWithSegments("/traces"));

    private static string BackUrl(HttpContext context) => context.Request.Path.StartsWithSegments("/traces") ? "../" : "./";

    private IResult Map(HttpContext context, Exception e)
    {
        switch (e)
        {
            case TraceStoreException store:
            {
                // Redacted for the client as for the log: a driver's message should hold no secret, but a third party's may.
                var message = redactor.Redact(store.Message);
                WebLog.StoreUnavailable(logger, context.Request.Method, context.Request.Path.Value, message);
                if (IsPage(context))
                {
                    context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return Pages.ErrorPage(503, "Trace store unavailable", message + " Try again in a few seconds.", BackUrl(context));
                }
                return Problems.StoreUnavailable(context, message, options.RetryAfterSeconds);
            }
            case CapabilityNotSupportedException unsupported:
                return LifecycleEndpoints.NotSupported(options, unsupported);
            case ValidationException validation when IsPage(context):
                // A bad search field on a page (?since=bogus) is answered as a page the browser shows, with the way back.
                return Pages.ErrorPage(400, "Bad request", validation.Message, BackUrl(context));
            case ValidationException validation:
                return Problems.Of(400, "Bad request", validation.Message, new Dictionary<string, object?>
                {
                    ["errors"] = validation.Errors.Select(x => new Dictionary<string, object?> { ["field"] = x.Property, ["message"] = x.Message }).ToList(),
                });
            case UnstorablePointException unstorable:
                // The input's fault, found only when the store refused it: bad input, naming the point, not a 500.
                return Problems.Of(400, "Trace points rejected", $"{unstorable.Message}; {unstorable.StoredText}");
            case BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge:
                return Problems.Of(413, "Request body too large", $"the request body is over the limit of {options.MaxBodyBytes} bytes");
            case BadHttpRequestException bad:
                return Problems.Of(bad.StatusCode, "Bad request", bad.Message);
            default:
                WebLog.RequestFailed(logger, context.Request.Method, context.Request.Path.Value, context.TraceIdentifier,
                    redactor.Redact(e.ToString()));
                if (IsPage(context))
                    return Pages.ErrorPage(500, "Internal server error",
                        $"The server failed to answer; the server log names the cause under request id {context.TraceIdentifier}.", BackUrl(context));
                return Problems.Of(500, "Internal server error",
                    $"the server failed to answer; the server log names the cause under request id {context.TraceIdentifier}",
                    new Dictionary<string, object?> { ["request_id"] = context.TraceIdentifier });
        }
    }
}
