using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;
using Profiler.Domain;
using Profiler.Otlp;
using Profiler.Storage;

namespace Profiler.Infrastructure.Otlp;

/// <summary>
/// A write-only store that posts each batch as one OTLP/HTTP protobuf request. A span needs its start and stop point:
/// a start waits in memory (at most <see cref="MaxOpen"/> operations) until its stop is written, then the whole span is
/// sent; operations still open at disposal, or pushed out by newer ones, are sent with end time 0 (docs/otlp.md).
/// A request the endpoint finds too large (413) is split in halves (<see cref="HalfId"/>); points it will never take
/// (400, a single span still too large, spans a partial success names) make one <see cref="TracePointsRefusedException"/>
/// once the rest is sent.
/// </summary>
internal sealed partial class OtlpTraceStore : ITraceStore
{
    /// <summary>The header Profiler's receiver reads a batch id from (as <c>/api/v1/points</c> does).</summary>
    internal const string BatchIdHeader = "X-Profiler-Batch-Id";

    /// <summary>Most operations whose start waits for its stop; the oldest beyond it are sent as they are.</summary>
    public const int MaxOpen = 100_000;

    private readonly OtlpEndpoint _endpoint;
    private readonly DriverSettings _settings;
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string, string), TracePoint> _open = new();
    private readonly LinkedList<(string, string)> _openOrder = new();

    public OtlpTraceStore(OtlpEndpoint endpoint, DriverSettings settings)
    {
        _endpoint = endpoint;
        _settings = settings;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) }) { Timeout = endpoint.Timeout };
        if (endpoint.BearerToken is not null) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.BearerToken);
        _logger = settings.LoggerFactory.CreateLogger("Profiler.Infrastructure.Otlp");
    }

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Each point to send with its position in `points` (-1 for a start an earlier write left waiting).
            var send = new List<Outgoing>();
            var startsHere = new Dictionary<(string, string), Outgoing>();
            var closed = new List<(string, string)>();
            for (var i = 0; i < points.Count; i++)
            {
                var p = Fill(points[i]);
                var key = (p.BaseId, p.TraceId);
                if (!p.IsStop)
                {
                    startsHere.TryAdd(key, new Outgoing(p, i));
                    continue;
                }
                if (startsHere.Remove(key, out var start)) send.Add(start);
                else if (_open.TryGetValue(key, out var waiting))
                {
                    send.Add(new Outgoing(waiting, -1));
                    closed.Add(key);
                }
                send.Add(new Outgoing(p, i));
            }
            // Starts beyond the limit are sent now, oldest first, without their stop.
            var overflow = _open.Count - closed.Count + startsHere.Count - MaxOpen;
            var evicted = new List<(string, string)>();
            for (var node = _openOrder.First; overflow > 0 && node is not null; node = node.Next)
            {
                if (closed.Contains(node.Value)) continue;
                send.Add(new Outgoing(_open[node.Value], -1));
                evicted.Add(node.Value);
                overflow--;
            }
            var refusals = new Refusals();
            if (send.Count > 0) await SendAsync(send, batchId, refusals, cancellationToken);
            // Sent, or refused for good: either way the write is settled, so the waiting starts move on.
            foreach (var key in closed.Concat(evicted))
            {
                _open.Remove(key);
                _openOrder.Remove(key);
            }
            foreach (var (key, start) in startsHere)
                if (_open.TryAdd(key, start.Point)) _openOrder.AddLast(key);
            if (refusals.Positions.Count > 0)
            {
                refusals.Positions.Sort();
                throw new TracePointsRefusedException(
                    $"the OTLP endpoint {_endpoint.Shown} refused {refusals.Positions.Count} point(s) for good and stored the others: " +
                    string.Join("; ", refusals.Reasons), refusals.Positions);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A point to send and its position in the write (-1 when an earlier write left it waiting).</summary>
    private readonly record struct Outgoing(TracePoint Point, int Position);

    /// <summary>What the endpoint refused for good during one write.</summary>
    private sealed class Refusals
    {
        /// <summary>Most reasons a refusal's message quotes.</summary>
        public const int MaxReasons = 5;

        public List<int> Positions { get; } = [];
        public List<string> Reasons { get; } = [];
    }

    /// <summary>
    /// Posts <paramref name="send"/> under <paramref name="requestId"/>. On 413 (too large) the spans are split into two
    /// halves, each posted under an id derived from this one (<see cref="HalfId"/>), and so on down to a single span,
    /// which is then refused; a 400 refuses the request's points. Refused points are added to <paramref name="refusals"/>
    /// and the other parts still sent. Any other failure is a <see cref="TraceStoreException"/> (sent again as a whole:
    /// the same points split the same way under the same ids, so the parts already stored are not stored twice).
    /// </summary>
    private async Task SendAsync(List<Outgoing> send, Guid requestId, Refusals? refusals, CancellationToken ct)
    {
        var refusal = await PostAsync(send, requestId, ct, refusals);
        if (refusal is null) return;
        var spans = send.GroupBy(o => (o.Point.BaseId, o.Point.TraceId)).ToList();
        if (refusal.Value.TooLarge && spans.Count > 1)
        {
            var half = spans.Count / 2;
            await SendAsync(spans.Take(half).SelectMany(s => s).ToList(), HalfId(requestId, 0), refusals, ct);
            await SendAsync(spans.Skip(half).SelectMany(s => s).ToList(), HalfId(requestId, 1), refusals, ct);
            return;
        }
        var what = spans.Count == 1
            ? $"span '{TracePointRules.Show(SpanName(spans[0].First().Point))}' of trace {TracePointRules.Show(spans[0].Key.BaseId)}" +
              (refusal.Value.TooLarge ? " is too large alone" : "")
            : $"{spans.Count} span(s) of trace(s) {string.Join(", ", spans.Select(s => s.Key.BaseId).Distinct().Take(3).Select(TracePointRules.Show))}" +
              (spans.Select(s => s.Key.BaseId).Distinct().Count() > 3 ? " and more" : "");
        var reason = $"{what}: {refusal.Value.Answer}";
        Refuse(send, reason, refusals);
    }

    /// <summary>Adds points refused for good to <paramref name="refusals"/>; logs those that no position in the write names.</summary>
    private void Refuse(IEnumerable<Outgoing> points, string reason, Refusals? refusals)
    {
        var unplaced = 0;
        var placed = 0;
        foreach (var o in points)
        {
            if (refusals is not null && o.Position >= 0)
            {
                refusals.Positions.Add(o.Position);
                placed++;
            }
            else unplaced++;
        }
        if (unplaced > 0) Log.Dropped(_logger, unplaced, _endpoint.Shown, reason);
        if (refusals is null || placed == 0) return;
        if (refusals.Reasons.Count < Refusals.MaxReasons) refusals.Reasons.Add(reason);
        else if (refusals.Reasons.Count == Refusals.MaxReasons) refusals.Reasons.Add("and more");
    }

    private static string SpanName(TracePoint p)
    {
        var name = p.Name;
        foreach (var suffix in new[] { "-start", "-stop" })
            if (name.EndsWith(suffix, StringComparison.Ordinal)) return name[..^suffix.Length];
        return name;
    }

    /// <summary>
    /// The id of half <paramref name="half"/> (0 or 1) of a request with id <paramref name="requestId"/> that was too
    /// large: the first 16 bytes of SHA-256(request id, "otlp-413", half), as <c>IngestBatches.ChunkId</c> derives its
    /// chunks' ids (the label keeps the two apart).
    /// </summary>
    internal static Guid HalfId(Guid requestId, int half)
    {
        Span<byte> input = stackalloc byte[16 + 8 + 1];
        requestId.TryWriteBytes(input);
        "otlp-413"u8.CopyTo(input[16..]);
        input[24] = (byte)half;
        return new Guid(System.Security.Cryptography.SHA256.HashData(input)[..16]);
    }

    /// <summary>The point with the driver settings' project, service and host where it has none (a point's own value wins).</summary>
    private TracePoint Fill(TracePoint p)
    {
        var host = p.Host is null && _settings.Host is not null;
        if (!host && (p.Project is not null || _settings.Project is null) && (p.Service is not null || _settings.Service is null)) return p;
        JsonObject? info = p.Info;
        if (host)
        {
            info = p.Info is null ? [] : (JsonObject)p.Info.DeepClone();
            info["host"] = _settings.Host;
        }
        return new TracePoint
        {
            Name = p.Name, BaseId = p.BaseId, TraceId = p.TraceId, ParentId = p.ParentId, Timestamp = p.Timestamp,
            Info = info, Project = p.Project ?? _settings.Project, Service = p.Service ?? _settings.Service,
        };
    }

    /// <summary>How the endpoint refused a request for good: 413 (too large) or 400 (not acceptable), and what it said.</summary>
    private readonly record struct Refusal(bool TooLarge, string Answer);

    /// <summary>
    /// Posts one request; null when the endpoint took it (spans a partial success rejects are refused through
    /// <paramref name="refusals"/> when its message names them, else logged), the refusal on 400 or 413, and a
    /// <see cref="TraceStoreException"/> on any other answer or none.
    /// </summary>
    private async Task<Refusal?> PostAsync(List<Outgoing> send, Guid requestId, CancellationToken ct, Refusals? refusals = null)
    {
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.AddRange(OtlpMapping.ToResourceSpans(send.Select(o => o.Point)));
        using var content = new ByteArrayContent(request.ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        // Profiler's own receiver stores a batch once under this id, so a retry after a lost reply is not stored twice;
        // other OTLP receivers ignore the header (at least once).

        HttpResponseMessage response;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, _endpoint.Uri) { Content = content };
            message.Headers.Add(BatchIdHeader, requestId.ToString());
            response = await _http.SendAsync(message, ct);
        }
        catch (HttpRequestException e)
        {
            throw new TraceStoreException($"the OTLP endpoint {_endpoint.Shown} cannot be reached: {Scrub(e.Message)}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new TraceStoreException($"the OTLP endpoint {_endpoint.Shown} did not answer within {_endpoint.Timeout.TotalSeconds:0.###} s", e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var answer = $"the OTLP endpoint {_endpoint.Shown} answered {(int)response.StatusCode} {response.ReasonPhrase}: {Describe(body, response.Content.Headers.ContentType?.MediaType)}";
                // 413 and an OTLP receiver's 400 say the request itself is refused: the same request again would be
                // refused again. A 400 that is not a google.rpc.Status in protobuf, as OTLP/HTTP answers one, did not come
                // from looking at the spans (a web server's host filtering, a proxy): like 401, 403, 404, 408, 429 and
                // 5xx it may pass once the setup is fixed, and is retried.
                return response.StatusCode switch
                {
                    HttpStatusCode.RequestEntityTooLarge => new Refusal(true, answer),
                    HttpStatusCode.BadRequest when IsProtobuf(response.Content.Headers.ContentType?.MediaType) => new Refusal(false, answer),
                    _ => throw new TraceStoreException(answer),
                };
            }
            if (body.Length == 0) return null;
            ExportTraceServiceResponse taken;
            try
            {
                taken = ExportTraceServiceResponse.Parser.ParseFrom(body);
            }
            catch (InvalidProtocolBufferException)
            {
                // A 2xx answer that is not an ExportTraceServiceResponse (e.g. JSON from a proxy): the spans were taken.
                return null;
            }
            if (taken.PartialSuccess is { RejectedSpans: > 0 } partial)
            {
                var text = TracePointRules.Show(Scrub(partial.ErrorMessage));
                var rejected = RejectedSpans(send, partial);
                if (rejected is not null)
                    Refuse(rejected, $"the OTLP endpoint {_endpoint.Shown} rejected {partial.RejectedSpans} span(s) (a partial success): {text}", refusals);
                else
                    Log.PartiallyRejected(_logger, _endpoint.Shown, partial.RejectedSpans, text);
            }
            return null;
        }
    }

    /// <summary>
    /// The points of the spans a partial success rejected, when its message names every one of them by span id in
    /// parentheses, as Profiler's receiver does (<c>span 3 'name' (00f067aa0ba902b7): why</c>); else null (OTLP gives
    /// no structured way to say which spans were rejected).
    /// </summary>
    private static List<Outgoing>? RejectedSpans(List<Outgoing> send, ExportTracePartialSuccess partial)
    {
        var named = SpanIdInParentheses().Matches(partial.ErrorMessage).Select(m => m.Groups[1].Value.ToLowerInvariant()).ToHashSet();
        if (named.Count != partial.RejectedSpans) return null;
        var spans = send.GroupBy(o => Convert.ToHexStringLower(OtlpMapping.SpanIdOf(o.Point.TraceId).Span)).ToDictionary(g => g.Key, g => g.ToList());
        // Every named id must be a span of this request, and only one: two traces' spans may share a span id.
        if (!named.All(id => spans.TryGetValue(id, out var points) && points.Select(o => o.Point.BaseId).Distinct().Count() == 1)) return null;
        return named.SelectMany(id => spans[id]).ToList();
    }

    [GeneratedRegex(@"\(([0-9a-fA-F]{16})\)")]
    private static partial Regex SpanIdInParentheses();

    /// <summary>Text from the endpoint or the network with the connection string's password taken out.</summary>
    private string Scrub(string text) => _endpoint.Source?.ScrubPassword(text) ?? text;

    private static bool IsProtobuf(string? mediaType) => mediaType is "application/x-protobuf" or "application/protobuf";

    /// <summary>An error answer's message: a google.rpc.Status's message field, else the text, shortened.</summary>
    private string Describe(byte[] body, string? mediaType)
    {
        if (IsProtobuf(mediaType))
        {
            try
            {
                var input = new CodedInputStream(body);
                uint tag;
                while ((tag = input.ReadTag()) != 0)
                {
                    if (WireFormat.GetTagFieldNumber(tag) == 2 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                        return TracePointRules.Show(Scrub(input.ReadString()));
                    input.SkipLastField();
                }
            }
            catch (InvalidProtocolBufferException)
            {
                // Not a Status after all: show the text.
            }
        }
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300));
        return text.Length == 0 ? "no message" : TracePointRules.Show(Scrub(text).Replace('\n', ' '));
    }

    private TraceStoreException WriteOnly() => new(
        $"the otlp driver only forwards points as spans to {_endpoint.Shown}; it cannot read traces back. " +
        "List and show them where that endpoint stores them (e.g. profiler serve's own store)");

    public async IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        throw WriteOnly();
#pragma warning disable CS0162 // An async iterator needs a yield to be one.
        yield break;
#pragma warning restore CS0162
    }

    public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) => Task.FromException<TracePage>(WriteOnly());

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_open.Count > 0)
            {
                var pending = _openOrder.Select(k => _open[k]).ToList();
                try
                {
                    using var cts = new CancellationTokenSource(_endpoint.Timeout);
                    // Refused spans are logged: no write of the notifier's holds them any more.
                    await SendAsync(pending.Select(p => new Outgoing(p, -1)).ToList(), Guid.NewGuid(), null, cts.Token);
                }
                catch (Exception e) when (e is TraceStoreException or OperationCanceledException)
                {
                    Log.FlushFailed(_logger, pending.Count, _endpoint.Shown, e.Message);
                }
                _open.Clear();
                _openOrder.Clear();
            }
        }
        finally
        {
            _gate.Release();
            _http.Dispose();
        }
    }
}
