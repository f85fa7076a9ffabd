using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace Profiler.Testing;

/// <summary>One unary gRPC call over cleartext HTTP/2, framed by hand as any gRPC client sends it (no gRPC client library).</summary>
public static class RawGrpc
{
    /// <summary>
    /// Posts <paramref name="message"/> (a serialized protobuf request) to <c>TraceService/Export</c> at
    /// <paramref name="baseUrl"/>; the answer's <c>grpc-status</c> ("none" when absent) and unescaped <c>grpc-message</c>.
    /// </summary>
    /// <param name="baseUrl">The receiver, e.g. <c>http://127.0.0.1:4317</c>.</param>
    /// <param name="message">The request message's bytes.</param>
    public static async Task<(string Status, string? Message)> ExportTracesAsync(string baseUrl, byte[] message)
    {
        using var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        var content = new ByteArrayContent(frame);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        using var call = new HttpRequestMessage(HttpMethod.Post, "/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        {
            Content = content, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        call.Headers.TE.ParseAdd("trailers");
        using var response = await client.SendAsync(call);
        await response.Content.ReadAsByteArrayAsync();
        string? Header(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First()
            : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        return (Header("grpc-status") ?? "none", Header("grpc-message") is { } m ? Uri.UnescapeDataString(m) : null);
    }
}
