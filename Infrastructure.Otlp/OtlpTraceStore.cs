using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
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
/// </summary>
internal sealed class OtlpTraceStore : ITraceStore
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
            var send = new List<TracePoint>();
            var startsHere = new Dictionary<(string, string), TracePoint>();
            var closed = new List<(string, string)>();
            foreach (var raw in points)
            {
                var p = Fill(raw);
                var key = (p.BaseId, p.TraceId);
                if (!p.IsStop)
                {
                    startsHere.TryAdd(key, p);
                    continue;
                }
                if (startsHere.Remove(key, out var start)) send.Add(start);
                else if (_open.TryGetValue(key, out start))
                {
                    send.Add(start);
                    closed.Add(key);
                }
                send.Add(p);
            }
            // Starts beyond the limit are sent now, oldest first, without their stop.
            var overflow = _open.Count - closed.Count + startsHere.Count - MaxOpen;
            var evicted = new List<(string, string)>();
            for (var node = _openOrder.First; overflow > 0 && node is not null; node = node.Next)
            {
                if (closed.Contains(node.Value)) continue;
                send.Add(_open[node.Value]);
                evicted.Add(node.Value);
                overflow--;
            }
            if (send.Count > 0) await PostAsync(send, batchId, cancellationToken);
            foreach (var key in closed.Concat(evicted))
            {
                _open.Remove(key);
                _openOrder.Remove(key);
            }
            foreach (var (key, start) in startsHere)
                if (_open.TryAdd(key, start)) _openOrder.AddLast(key);
        }
        finally
        {
            _gate.Release();
        }
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

    private async Task PostAsync(List<TracePoint> points, Guid batchId, CancellationToken ct)
    {
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.AddRange(OtlpMapping.ToResourceSpans(points));
        using var content = new ByteArrayContent(request.ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        // Profiler's own receiver stores a batch once under this id, so a retry after a lost reply is not stored twice;
        // other OTLP receivers ignore the header (at least once).

        HttpResponseMessage response;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, _endpoint.Uri) { Content = content };
            message.Headers.Add(BatchIdHeader, batchId.ToString());
            response = await _http.SendAsync(message, ct);
        }
        catch (HttpRequestException e)
        {
            throw new TraceStoreException($"the OTLP endpoint {_endpoint.Shown} cannot be reached: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new TraceStoreException($"the OTLP endpoint {_endpoint.Shown} did not answer within {_endpoint.Timeout.TotalSeconds:0.###} s", e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            if (!response.IsSuccessStatusCode)
                throw new TraceStoreException(
                    $"the OTLP endpoint {_endpoint.Shown} answered {(int)response.StatusCode} {response.ReasonPhrase}: {Describe(body, response.Content.Headers.ContentType?.MediaType)}");
            if (body.Length == 0) return;
            try
            {
                var answer = ExportTraceServiceResponse.Parser.ParseFrom(body);
                if (answer.PartialSuccess is { RejectedSpans: > 0 } partial)
                    Log.PartiallyRejected(_logger, _endpoint.Shown, partial.RejectedSpans, partial.ErrorMessage);
            }
            catch (InvalidProtocolBufferException)
            {
                // A 2xx answer that is not an ExportTraceServiceResponse (e.g. JSON from a proxy): the spans were taken.
            }
        }
    }

    /// <summary>An error answer's message: a google.rpc.Status's message field, else the text, shortened.</summary>
    private static string Describe(byte[] body, string? mediaType)
    {
        if (mediaType is "application/x-protobuf" or "application/protobuf")
        {
            try
            {
                var input = new CodedInputStream(body);
                uint tag;
                while ((tag = input.ReadTag()) != 0)
                {
                    if (WireFormat.GetTagFieldNumber(tag) == 2 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                        return TracePointRules.Show(input.ReadString());
                    input.SkipLastField();
                }
            }
            catch (InvalidProtocolBufferException)
            {
                // Not a Status after all: show the text.
            }
        }
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300));
        return text.Length == 0 ? "no message" : TracePointRules.Show(text.Replace('\n', ' '));
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
                    await PostAsync(pending, Guid.NewGuid(), cts.Token);
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
