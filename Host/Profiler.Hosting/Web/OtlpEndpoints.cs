using System.Buffers;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using OpenTelemetry.Proto.Collector.Trace.V1;
using Profiler.Application.Common;
using Profiler.Domain;
using Profiler.Otlp;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// The OTLP receiver (docs/otlp.md): <c>POST /v1/traces</c> (OTLP/HTTP, protobuf or JSON, optionally gzip) and, on
/// <see cref="WebShellOptions.OtlpGrpcUrls"/>, OTLP/gRPC <c>TraceService/Export</c>. Spans become points through
/// <see cref="OtlpMapping"/>, are checked by <see cref="TracePointRules"/> and stored through the same use case as
/// <c>POST /api/v1/points</c>, under the same ingest key and body limit.
/// </summary>
internal static class OtlpEndpoints
{
    private const string Protobuf = "application/x-protobuf";
    private const string Json = "application/json";

    /// <summary>Most rejected spans named in a partial-success message.</summary>
    private const int MaxNamed = 10;

    public static void MapOtlpApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/v1/traces", Export).WithName("OtlpExportTraces");

    /// <summary>
    /// With <see cref="WebShellOptions.OtlpGrpcUrls"/>: Kestrel listens on <see cref="WebShellOptions.Urls"/> as before
    /// and on the gRPC addresses with HTTP/2 only (cleartext gRPC needs it), and the gRPC services are added.
    /// </summary>
    public static void AddOtlpGrpc(WebApplicationBuilder builder, WebShellOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.OtlpGrpcUrls)) return;
        var endpoints = new Dictionary<string, string?>();
        var i = 0;
        foreach (var url in Split(options.Urls)) endpoints[$"Kestrel:Endpoints:Web{i++}:Url"] = url;
        i = 0;
        foreach (var url in Split(options.OtlpGrpcUrls))
        {
            endpoints[$"Kestrel:Endpoints:OtlpGrpc{i}:Url"] = url;
            endpoints[$"Kestrel:Endpoints:OtlpGrpc{i++}:Protocols"] = "Http2";
        }
        // Explicit endpoints replace the UseUrls addresses (which would otherwise be reported as overridden).
        builder.WebHost.UseSetting(Microsoft.AspNetCore.Hosting.WebHostDefaults.ServerUrlsKey, "");
        builder.Configuration.AddInMemoryCollection(endpoints);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = (int)Math.Min(options.MaxBodyBytes, int.MaxValue);
            o.EnableDetailedErrors = false;
        });
    }

    /// <summary>
    /// With <see cref="WebShellOptions.OtlpGrpcUrls"/>: the gRPC service, behind <see cref="RefuseWithoutIngestKey"/>,
    /// which checks the ingest key before the request's message is read.
    /// </summary>
    public static void MapOtlpGrpc(WebApplication app, WebShellOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.OtlpGrpcUrls)) return;
        app.Use(RefuseWithoutIngestKey);
        app.MapGrpcService<OtlpTraceService>();
    }

    /// <summary>
    /// A call to <see cref="OtlpTraceService"/> without the server's ingest key (<see cref="WebShellOptions.IngestKey"/>)
    /// is answered UNAUTHENTICATED from its headers alone (a gRPC trailers-only answer): gRPC reads and parses the whole
    /// message before the service method runs, which would let anyone without the key make the server read and parse
    /// up to <see cref="WebShellOptions.MaxBodyBytes"/>. Other requests pass.
    /// </summary>
    private static Task RefuseWithoutIngestKey(HttpContext context, RequestDelegate next)
    {
        var key = context.RequestServices.GetRequiredService<WebShellOptions>().IngestKey;
        if (string.IsNullOrEmpty(key)
            || context.GetEndpoint()?.Metadata.GetMetadata<Grpc.AspNetCore.Server.GrpcMethodMetadata>()?.ServiceType != typeof(OtlpTraceService)
            || IngestEndpoints.HasIngestKey(context.Request, key))
            return next(context);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)StatusCode.Unauthenticated).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(OtlpTraceService.NeedsIngestKey);
        return Task.CompletedTask;
    }

    private static string[] Split(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task Export(HttpContext context, IMediator mediator, WebShellOptions options, ILoggerFactory loggers)
    {
        var json = IsJson(context.Request.ContentType);
        if (!string.IsNullOrEmpty(options.IngestKey) && !IngestEndpoints.HasIngestKey(context.Request, options.IngestKey))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"profiler\"";
            await Fail(context, json, 401, StatusCode.Unauthenticated,
                $"POST /v1/traces needs the server's ingest key in the {IngestEndpoints.IngestKeyHeader} header or as Authorization: Bearer");
            return;
        }
        if (!json && !IsProtobuf(context.Request.ContentType))
        {
            await Fail(context, false, 415, StatusCode.InvalidArgument,
                $"send OTLP as Content-Type: {Protobuf} or {Json} (got {(string.IsNullOrEmpty(context.Request.ContentType) ? "none" : "'" + TracePointRules.Show(context.Request.ContentType) + "'")})");
            return;
        }
        if (IngestEndpoints.ReadBatchId(context.Request, out var batchId) is { } badBatchId)
        {
            await Fail(context, json, 400, StatusCode.InvalidArgument, badBatchId);
            return;
        }
        var encoding = context.Request.Headers.ContentEncoding.ToString().Trim();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await Fail(context, json, 415, StatusCode.InvalidArgument,
                $"Content-Encoding '{TracePointRules.Show(encoding)}' is not supported: send gzip or no encoding");
            return;
        }
        if (context.Request.ContentLength > options.MaxBodyBytes)
        {
            if (context.Request.ContentLength <= options.MaxBodyBytes + IngestEndpoints.DrainLimit(options))
                await IngestEndpoints.ReadBodyAsync(context, options.MaxBodyBytes, options);
            await TooLarge(context, json, options);
            return;
        }
        var body = await IngestEndpoints.ReadBodyAsync(context, options.MaxBodyBytes, options);
        if (body is null)
        {
            await TooLarge(context, json, options);
            return;
        }
        var bytes = body.Value;
        if (gzip)
        {
            try
            {
                var inflated = Gunzip(bytes, options.MaxBodyBytes);
                if (inflated is null)
                {
                    await TooLarge(context, json, options, inflated: true);
                    return;
                }
                bytes = inflated.Value;
            }
            catch (InvalidDataException e)
            {
                await Fail(context, json, 400, StatusCode.InvalidArgument, $"the body is not valid gzip data: {e.Message.TrimEnd('.')}");
                return;
            }
        }

        ExportTraceServiceRequest request;
        try
        {
            request = json ? OtlpJson.ParseExportRequest(bytes.Span) : ExportTraceServiceRequest.Parser.ParseFrom(bytes.Span);
        }
        catch (Exception e) when (e is FormatException or InvalidProtocolBufferException)
        {
            await Fail(context, json, 400, StatusCode.InvalidArgument,
                json ? "the body is " + (e.Message.StartsWith("not OTLP/JSON: ", StringComparison.Ordinal) ? e.Message : $"not OTLP/JSON: {e.Message}") : $"the body is not an OTLP ExportTraceServiceRequest in protobuf: {e.Message.TrimEnd('.')}");
            return;
        }

        ExportTraceServiceResponse response;
        try
        {
            // Without a batch id header (no OTel exporter sends one) the batch id is the (gunzipped) body's hash: an
            // export sent again after a lost answer or a 503 stores nothing twice, however many chunks it takes.
            response = await StoreAsync(request, mediator, batchId ?? IngestBatches.ContentId(bytes.Span), context.RequestAborted);
        }
        catch (FormatException e)
        {
            await Fail(context, json, 400, StatusCode.InvalidArgument, e.Message + "; nothing was stored");
            return;
        }
        catch (UnstorablePointException e)
        {
            await Fail(context, json, 400, StatusCode.InvalidArgument, $"{e.Message}; {e.StoredText}");
            return;
        }
        catch (ValidationException e)
        {
            await Fail(context, json, 400, StatusCode.InvalidArgument, e.Message);
            return;
        }
        catch (TraceStoreException e)
        {
            var message = context.RequestServices.GetRequiredService<SecretRedactor>().Redact(e.Message);
            WebLog.StoreUnavailable(loggers.CreateLogger("Profiler.Hosting.Web.Otlp"), context.Request.Method, context.Request.Path.Value, message);
            context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Fail(context, json, 503, StatusCode.Unavailable, message + " Try again later.");
            return;
        }
        await Write(context, json, 200, response);
    }

    /// <summary>
    /// Maps and stores a request (HTTP and gRPC alike). A malformed span id is a <see cref="FormatException"/> before
    /// anything is stored; spans that fail the point rules are left out and named in the partial success.
    /// </summary>
    /// <remarks>Each chunk's id is derived from <paramref name="batchId"/> as on <c>/api/v1/points</c>
    /// (<see cref="IngestBatches"/>): the <see cref="IngestEndpoints.BatchIdHeader"/> that Profiler's own otlp+http driver
    /// sends, else the hash of the request's content. A retried export stores nothing twice. When every span is rejected
    /// nothing is stored and the request is a <see cref="FormatException"/> naming the spans (400, INVALID_ARGUMENT).</remarks>
    internal static async Task<ExportTraceServiceResponse> StoreAsync(ExportTraceServiceRequest request, IMediator mediator, Guid batchId, CancellationToken ct)
    {
        var mapped = OtlpMapping.ToPoints(request.ResourceSpans, Check);
        if (mapped.Rejected.Count > 0 && mapped.Points.Count == 0)
            throw new FormatException($"every span was rejected: {Named(mapped)}");
        var refusedSpans = 0;
        string? refusal = null;
        if (mapped.Points.Count > 0)
        {
            try
            {
                await IngestBatches.StoreAsync(mediator, mapped.Points, batchId, "export the same request again", ct);
            }
            catch (TracePointsRefusedException e)
            {
                // The store kept the other spans and would refuse these again: a partial success, which exporters do not retry.
                refusedSpans = e.Refused.Select(i => (mapped.Points[i].BaseId, mapped.Points[i].TraceId)).Distinct().Count();
                refusal = e.Message;
            }
        }
        var response = new ExportTraceServiceResponse();
        if (mapped.Rejected.Count > 0 || refusedSpans > 0)
        {
            var rejected = mapped.Rejected.Count > 0 ? $"{mapped.Rejected.Count} of {mapped.SpanCount} span(s) rejected, the others stored: {Named(mapped)}" : null;
            var refused = refusedSpans > 0 ? $"{refusedSpans} span(s) refused by the store: {refusal}" : null;
            response.PartialSuccess = new ExportTracePartialSuccess
            {
                RejectedSpans = mapped.Rejected.Count + refusedSpans,
                ErrorMessage = string.Join("; ", new[] { rejected, refused }.Where(m => m is not null)),
            };
        }
        return response;
    }

    /// <summary>
    /// The point rules. (Text no store can write, a lone UTF-16 surrogate, never reaches here: protobuf strings are
    /// decoded from UTF-8, and OTLP/JSON holding one is refused whole when parsed, naming where it is.)
    /// </summary>
    private static string? Check(TracePoint point) => TracePointRules.FirstProblem(point);

    private static string Named(OtlpPoints mapped)
    {
        var named = string.Join("; ", mapped.Rejected.Take(MaxNamed).Select(r =>
            $"span {r.Index} '{TracePointRules.Show(r.Name)}' ({r.SpanId}): {r.Message}"));
        return mapped.Rejected.Count > MaxNamed ? $"{named}; and {mapped.Rejected.Count - MaxNamed} more" : named;
    }

    /// <summary>The batch id of a gRPC export: the hash of the request message serialized (the same message, the same id).</summary>
    internal static Guid ContentId(IMessage request)
    {
        var size = request.CalculateSize();
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        try
        {
            request.WriteTo(buffer.AsSpan(0, size));
            return IngestBatches.ContentId(buffer.AsSpan(0, size));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The gunzipped body, or null when it inflates past <paramref name="limit"/> bytes.</summary>
    private static ReadOnlyMemory<byte>? Gunzip(ReadOnlyMemory<byte> body, long limit)
    {
        using var input = new MemoryStream(body.ToArray(), writable: false);
        using var gz = new GZipStream(input, CompressionMode.Decompress);
        var output = new ArrayBufferWriter<byte>((int)Math.Min(Math.Max(body.Length * 4L, 4096), Math.Min(limit + 1, 64L * 1024 * 1024)));
        while (true)
        {
            var read = gz.Read(output.GetSpan(64 * 1024));
            if (read == 0) break;
            output.Advance(read);
            if (output.WrittenCount > limit) return null;
        }
        return output.WrittenMemory;
    }

    private static Task TooLarge(HttpContext context, bool json, WebShellOptions options, bool inflated = false)
    {
        context.Response.Headers.Connection = "close";
        return Fail(context, json, 413, StatusCode.ResourceExhausted,
            $"the request body{(inflated ? " after gunzip" : "")} is over the limit of {options.MaxBodyBytes} bytes (--max-body-bytes); send fewer spans per request");
    }

    /// <summary>An error answer as the OTLP specification asks: a <c>google.rpc.Status</c> in the request's encoding.</summary>
    private static Task Fail(HttpContext context, bool json, int status, StatusCode code, string message)
    {
        context.Response.StatusCode = status;
        if (json)
        {
            context.Response.ContentType = Json;
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteNumber("code", (int)code);
                writer.WriteString("message", message);
                writer.WriteEndObject();
            }
            return context.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
        }
        context.Response.ContentType = Protobuf;
        // google.rpc.Status: int32 code = 1; string message = 2 (details left out).
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(1, WireFormat.WireType.Varint);
        output.WriteInt32((int)code);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteString(message);
        output.Flush();
        return context.Response.Body.WriteAsync(stream.ToArray()).AsTask();
    }

    private static Task Write(HttpContext context, bool json, int status, IMessage message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = json ? Json : Protobuf;
        var bytes = json ? Encoding.UTF8.GetBytes(OtlpJson.Format(message)) : message.ToByteArray();
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }

    private static bool IsJson(string? contentType) => MediaIs(contentType, Json);

    private static bool IsProtobuf(string? contentType) => MediaIs(contentType, Protobuf) || MediaIs(contentType, "application/protobuf");

    private static bool MediaIs(string? contentType, string expected) =>
        !string.IsNullOrEmpty(contentType) && MediaTypeHeaderValue.TryParse(contentType, out var media)
        && string.Equals(media.MediaType.Value, expected, StringComparison.OrdinalIgnoreCase);
}

/// <summary>OTLP/gRPC <c>TraceService/Export</c>: the same mapping, checks and store as <c>POST /v1/traces</c>.</summary>
internal sealed class OtlpTraceService(IMediator mediator, WebShellOptions options, ILogger<OtlpTraceService> logger, SecretRedactor redactor)
    : TraceService.TraceServiceBase
{
    /// <summary>The UNAUTHENTICATED answer's message.</summary>
    internal static readonly string NeedsIngestKey =
        $"TraceService/Export needs the server's ingest key in the {IngestEndpoints.IngestKeyHeader.ToLowerInvariant()} metadata or as authorization: Bearer";

    public override async Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        // Checked before the message was read (OtlpEndpoints.MapOtlpGrpc); again here, should the service be mapped alone.
        if (!string.IsNullOrEmpty(options.IngestKey) && !IngestEndpoints.HasIngestKey(http.Request, options.IngestKey))
            throw new RpcException(new Status(StatusCode.Unauthenticated, NeedsIngestKey));
        if (IngestEndpoints.ReadBatchId(http.Request, out var batchId) is { } badBatchId)
            throw new RpcException(new Status(StatusCode.InvalidArgument, badBatchId));
        try
        {
            // No gRPC exporter sends a batch id: the serialized request's hash stands for it, so that an export the
            // client sends again after a lost answer or UNAVAILABLE stores nothing twice.
            return await OtlpEndpoints.StoreAsync(request, mediator, batchId ?? OtlpEndpoints.ContentId(request), context.CancellationToken);
        }
        catch (FormatException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message + "; nothing was stored"));
        }
        catch (UnstorablePointException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{e.Message}; {e.StoredText}"));
        }
        catch (ValidationException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        catch (TraceStoreException e)
        {
            var message = redactor.Redact(e.Message);
            WebLog.StoreUnavailable(logger, "gRPC", "TraceService/Export", message);
            throw new RpcException(new Status(StatusCode.Unavailable, message + " Try again later."));
        }
        catch (Exception e) when (e is not (RpcException or OperationCanceledException))
        {
            // Not the store being down (no UNAVAILABLE, which the client would retry) and not the input's fault: say
            // where the cause is, as the HTTP endpoints' 500 does.
            WebLog.RequestFailed(logger, "gRPC", "TraceService/Export", http.TraceIdentifier, redactor.Redact(e.ToString()));
            throw new RpcException(new Status(StatusCode.Internal,
                $"the server failed to store the spans ({e.GetType().Name}); the server log names the cause under request id {http.TraceIdentifier}"));
        }
    }
}
