using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary><c>POST /api/v1/points</c>: store a JSON array of COMPAT §1 trace points.</summary>
internal static class IngestEndpoints
{
    /// <summary>Header holding the ingest key (<c>Authorization: Bearer &lt;key&gt;</c> works too).</summary>
    public const string IngestKeyHeader = "X-Profiler-Ingest-Key";

    /// <summary>
    /// Optional header naming the request's batch (a GUID): a client that retries a request whose answer it lost sends
    /// the same id again, and the points are stored once (<see cref="ITraceStore.WriteAsync(IReadOnlyList{TracePoint}, Guid, CancellationToken)"/>).
    /// Without it the batch id is the body's hash (<see cref="IngestBatches.ContentId"/>): the same body sent again within
    /// the store's batch id retention (24 h) is stored once too.
    /// </summary>
    public const string BatchIdHeader = "X-Profiler-Batch-Id";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = TracePointJson.MaxDepth + 1 };

    public static void MapIngestApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/api/v1/points", Ingest).WithName("IngestPoints");

    private static async Task<IResult> Ingest(HttpContext context, IMediator mediator, WebShellOptions options)
    {
        if (!string.IsNullOrEmpty(options.IngestKey) && !HasIngestKey(context.Request, options.IngestKey))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"profiler\"";
            return Problems.Of(401, "Ingest key required",
                $"POST /api/v1/points needs the server's ingest key in the {IngestKeyHeader} header or as Authorization: Bearer");
        }
        if (!IsJson(context.Request.ContentType, out var why))
            return Problems.Of(415, "Unsupported media type", why);
        if (ReadBatchId(context.Request, out var batchId) is { } badBatchId) return Problems.BadRequest(badBatchId);
        if (context.Request.ContentLength > options.MaxBodyBytes)
        {
            // Read (and drop) a moderately oversize body before answering, so that the client, still sending, reads the
            // 413 instead of a reset connection; a body far over the limit is not read at all.
            if (context.Request.ContentLength <= options.MaxBodyBytes + DrainLimit(options)) await ReadBodyAsync(context, options.MaxBodyBytes, options);
            return TooLarge(context, options);
        }

        var body = await ReadBodyAsync(context, options.MaxBodyBytes, options);
        if (body is null) return TooLarge(context, options);

        var (points, problems, count) = Parse(body.Value.Span);
        if (problems.Count > 0) return Problems.RejectedPoints(problems, count);

        // Every point passed; now store in chunks the use case accepts, each under an id derived from the batch id and
        // the chunk's index. Without a batch id header the batch id is the body's hash: a request sent again after a
        // lost answer or a 503 (as every OTel-style client does, without a header) stores nothing twice.
        int stored;
        try
        {
            stored = await IngestBatches.StoreAsync(mediator, points, batchId ?? IngestBatches.ContentId(body.Value.Span),
                "send the same request again", context.RequestAborted);
        }
        catch (TracePointsRefusedException e)
        {
            // Not the input's form and not the store being down: these points will never be stored (sending them again
            // would not help), the others are. 422 tells a client not to retry.
            return Problems.Of(422, "Trace points refused", e.Message, new Dictionary<string, object?>
            {
                ["refused"] = e.Refused,
                ["stored"] = points.Count - e.Refused.Count,
            });
        }
        catch (UnstorablePointException e)
        {
            return Problems.Of(400, "Trace points rejected", $"point {e.Index}: {e.Reason}; {e.StoredText}", new Dictionary<string, object?>
            {
                ["errors"] = new[] { new Dictionary<string, object?> { ["index"] = e.Index, ["field"] = null, ["message"] = e.Reason, ["pointer"] = $"/{e.Index}" } },
                ["error_count"] = 1,
            });
        }
        var traces = points.Select(p => p.BaseId).Distinct(StringComparer.Ordinal).ToList();
        return Results.Json(new Dictionary<string, object?> { ["stored"] = stored, ["traces"] = traces },
            statusCode: StatusCodes.Status200OK);
    }

    /// <summary>
    /// The optional <see cref="BatchIdHeader"/> of a request: null when it is absent or a GUID (then in
    /// <paramref name="batchId"/>), else the error to answer with, naming the value and what is accepted.
    /// </summary>
    internal static string? ReadBatchId(HttpRequest request, out Guid? batchId)
    {
        batchId = null;
        if (!request.Headers.TryGetValue(BatchIdHeader, out var header)) return null;
        if (header.Count != 1 || !Guid.TryParse(header[0], out var parsed))
            return $"header {BatchIdHeader} '{TracePointRules.Show(header.ToString())}' is not a GUID: send one GUID per batch " +
                   "(e.g. 3f2504e0-4f89-11d3-9a0c-0305e82c3301), the same on every retry of that batch, or leave the header out";
        batchId = parsed;
        return null;
    }

    /// <summary>How far past the limit a body is still read (and dropped) so that its sender gets the 413: the limit, from 1 to 16 MiB.</summary>
    internal static long DrainLimit(WebShellOptions options) => Math.Clamp(options.MaxBodyBytes, 1024 * 1024, 16 * 1024 * 1024);

    internal static IResult TooLarge(HttpContext context, WebShellOptions options)
    {
        // Whatever of the body is left unread is not worth reading: end the connection after this answer.
        context.Response.Headers.Connection = "close";
        return Problems.Of(413, "Request body too large",
            $"the request body is over the limit of {options.MaxBodyBytes} bytes (--max-body-bytes); send fewer points per request");
    }

    /// <summary>Parses and checks every point; the points and every problem found (index, field, message).</summary>
    internal static (List<TracePoint> Points, List<PointProblem> Problems, int Count) Parse(ReadOnlySpan<byte> body)
    {
        var points = new List<TracePoint>();
        var problems = new List<PointProblem>();
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            problems.Add(new PointProblem(null, null, $"the body is not valid UTF-8 text (first bad byte at offset {FirstInvalidUtf8(body)})"));
            return (points, problems, 0);
        }
        if (body.StartsWith(Encoding.UTF8.Preamble)) body = body[Encoding.UTF8.Preamble.Length..];
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, documentOptions: DocumentOptions);
        }
        catch (JsonException e)
        {
            var message = e.Message.Contains("maximum configured depth", StringComparison.Ordinal)
                ? $"the body nests deeper than {TracePointJson.MaxDepth} levels inside a point"
                : $"the body is not valid JSON: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd('.', ' ')}";
            var line = e.LineNumber is { } l ? $" (line {l + 1}, byte {e.BytePositionInLine + 1})" : "";
            problems.Add(new PointProblem(null, null, message + line));
            return (points, problems, 0);
        }
        if (root is not JsonArray array)
        {
            problems.Add(new PointProblem(null, null,
                $"the body must be a JSON array of trace points, got {(root is JsonObject ? "an object" : root is null ? "null" : "a " + root.GetValueKind().ToString().ToLowerInvariant())}"));
            return (points, problems, 0);
        }
        if (array.Count == 0)
        {
            problems.Add(new PointProblem(null, null, "the array holds no trace point"));
            return (points, problems, 0);
        }
        var mayHoldLoneSurrogate = PointText.MayHoldLoneSurrogate(body);
        for (var i = 0; i < array.Count; i++)
        {
            TracePoint point;
            try
            {
                point = TracePointJson.FromNode(array[i]);
            }
            catch (FormatException e)
            {
                problems.Add(new PointProblem(i, FieldOf(e.Message), e.Message));
                continue;
            }
            var index = i;
            TracePointRules.Check(point, (field, message) => problems.Add(new PointProblem(index, field, message)));
            // A lone UTF-16 surrogate (an escape such as "\ud83d" without its other half) reads into a string no store can write.
            if (mayHoldLoneSurrogate && PointText.FirstProblem(point) is { } text) problems.Add(new PointProblem(index, text.Field, text.Message));
            points.Add(point);
        }
        return (points, problems, array.Count);
    }

    private static string? FieldOf(string message)
    {
        var start = message.IndexOf("field '", StringComparison.Ordinal);
        if (start < 0) return null;
        start += 7;
        var end = message.IndexOf('\'', start);
        return end > start ? message[start..end] : null;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> body)
    {
        var offset = 0;
        while (offset < body.Length)
        {
            var status = Rune.DecodeFromUtf8(body[offset..], out _, out var consumed);
            if (status != OperationStatus.Done) return offset;
            offset += consumed;
        }
        return offset;
    }

    /// <summary>
    /// The body, or null when it is over <paramref name="limit"/> bytes; then the rest of it, up to
    /// <see cref="DrainLimit"/> more bytes, is read and dropped.
    /// </summary>
    internal static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpContext context, long limit, WebShellOptions options)
    {
        var drain = DrainLimit(options);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = limit + drain + 1;
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(Math.Min(context.Request.ContentLength ?? 64 * 1024, limit), 16 * 1024 * 1024) + 1);
        var stream = context.Request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(64 * 1024);
            int read;
            try
            {
                read = await stream.ReadAsync(memory, context.RequestAborted);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return null;
            }
            if (read == 0) break;
            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                await DrainAsync(stream, limit + drain - buffer.WrittenCount, context.RequestAborted);
                return null;
            }
        }
        return buffer.WrittenMemory;
    }

    /// <summary>Reads and drops up to <paramref name="budget"/> more bytes of the body; stops early at its end or at the budget.</summary>
    private static async Task DrainAsync(Stream body, long budget, CancellationToken ct)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (budget > 0)
            {
                var read = await body.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, budget)), ct);
                if (read == 0) return;
                budget -= read;
            }
        }
        catch (BadHttpRequestException)
        {
            // Over Kestrel's own limit or malformed: the answer is 413 anyway.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static bool IsJson(string? contentType, out string why)
    {
        why = "";
        if (string.IsNullOrEmpty(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            why = $"send the points as Content-Type: application/json (got {(string.IsNullOrEmpty(contentType) ? "none" : "'" + TracePointRules.Show(contentType) + "'")})";
            return false;
        }
        var type = media.MediaType.Value ?? "";
        if (!type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            && !(type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            why = $"send the points as Content-Type: application/json (got '{TracePointRules.Show(type)}')";
            return false;
        }
        var charset = media.Charset.Value;
        if (!string.IsNullOrEmpty(charset) && !charset.Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            && !charset.Trim('"').Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            why = $"the points must be UTF-8 JSON (got charset '{TracePointRules.Show(charset)}')";
            return false;
        }
        return true;
    }

    /// <summary>Constant-time check of the ingest key in <see cref="IngestKeyHeader"/> or <c>Authorization: Bearer</c>.</summary>
    internal static bool HasIngestKey(HttpRequest request, string expected)
    {
        string? given = request.Headers[IngestKeyHeader].FirstOrDefault();
        if (string.IsNullOrEmpty(given))
        {
            var auth = request.Headers.Authorization.FirstOrDefault();
            if (auth is not null && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) given = auth[7..].Trim();
        }
        if (string.IsNullOrEmpty(given)) return false;
        // Hashing first makes the comparison independent of both lengths.
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(given));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
