using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace Profiler.Otlp.Tests;

public sealed class ReceiverTests
{
    private const string CheckoutBaseId = "5b8efff7-9803-8103-d269-b633813fc60c";

    internal static ExportTraceServiceRequest Request(OpenTelemetry.Proto.Trace.V1.TracesData data) => new() { ResourceSpans = { data.ResourceSpans } };

    internal static async Task<HttpResponseMessage> PostAsync(OtlpServer server, byte[] body, string contentType, string? encoding = null, string? key = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (encoding is not null) content.Headers.ContentEncoding.Add(encoding);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/traces") { Content = content };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await server.Client.SendAsync(request);
    }

    [Fact]
    public async Task A_protobuf_body_is_stored_and_answered_with_an_empty_ExportTraceServiceResponse()
    {
        await using var server = await OtlpServer.StartAsync();

        using var response = await PostAsync(server, Request(Spans.Checkout()).ToByteArray(), "application/x-protobuf");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Null(answer.PartialSuccess);
        Assert.Equal(Spans.CheckoutTree, JsonNodeReport.Tree((await server.ReportAsync(CheckoutBaseId))!));
    }

    [Fact]
    public async Task A_gzipped_OTLP_JSON_body_is_stored_and_answered_in_JSON()
    {
        await using var server = await OtlpServer.StartAsync();
        var json = Encoding.UTF8.GetBytes(OtlpJson.Format(Request(Spans.Checkout())));
        using var zipped = new MemoryStream();
        using (var gz = new GZipStream(zipped, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(json);

        using var response = await PostAsync(server, zipped.ToArray(), "application/json", encoding: "gzip");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        Assert.Equal(Spans.CheckoutTree, JsonNodeReport.Tree((await server.ReportAsync(CheckoutBaseId))!));
    }

    [Fact]
    public async Task Spans_that_break_the_point_rules_are_named_in_partialSuccess_and_the_others_are_stored()
    {
        await using var server = await OtlpServer.StartAsync();
        var data = Spans.Checkout();
        data.ResourceSpans[0].ScopeSpans[0].Spans[2].Name = "cache\u0007bell";
        data.ResourceSpans[0].ScopeSpans[0].Spans[3].Name = new string('x', 300);

        using var response = await PostAsync(server, Encoding.UTF8.GetBytes(OtlpJson.Format(Request(data))), "application/json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var partial = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["partialSuccess"]!;
        Assert.Equal("2", partial["rejectedSpans"]!.ToString());
        var message = (string)partial["errorMessage"]!;
        Assert.Contains("span 2 'cache?bell' (1000000000000003)", message);
        Assert.Contains("span 3 'xxxx", message);
        Assert.Contains("must be at most 255 printable characters", message);
        var tree = JsonNodeReport.Tree((await server.ReportAsync(CheckoutBaseId))!);
        Assert.Equal(["0 GET /checkout 0..100 None shop/web@node-1", "1 db 10..30 None shop/web@node-1"], tree.Take(2));
        Assert.DoesNotContain(tree, l => l.Contains("cache", StringComparison.Ordinal) || l.Contains("rpc", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_before_or_after_gunzip_and_stores_nothing()
    {
        await using var server = await OtlpServer.StartAsync(maxBodyBytes: 2000);
        var big = Spans.Checkout();
        big.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes.Add(new OpenTelemetry.Proto.Common.V1.KeyValue { Key = "pad", Value = Spans.Str(new string('a', 5000)) });
        var body = Request(big).ToByteArray();
        using var zipped = new MemoryStream();
        using (var gz = new GZipStream(zipped, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(body);
        Assert.True(zipped.Length < 2000);

        using var plain = await PostAsync(server, body, "application/x-protobuf");
        using var inflated = await PostAsync(server, zipped.ToArray(), "application/x-protobuf", encoding: "gzip");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, plain.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, inflated.StatusCode);
        Assert.Contains("after gunzip", StatusMessage(await inflated.Content.ReadAsByteArrayAsync()));
        Assert.Empty(await server.TraceIdsAsync());
    }

    [Fact]
    public async Task Without_the_ingest_key_the_answer_is_401_and_with_it_200()
    {
        await using var server = await OtlpServer.StartAsync(ingestKey: "s3cret-key");
        var body = Request(Spans.Checkout()).ToByteArray();

        using var without = await PostAsync(server, body, "application/x-protobuf");
        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Empty(await server.TraceIdsAsync());

        using var with = await PostAsync(server, body, "application/x-protobuf", key: "s3cret-key");
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
        Assert.Equal([CheckoutBaseId], await server.TraceIdsAsync());
    }

    [Fact]
    public async Task While_the_store_is_down_the_answer_is_503_with_Retry_After()
    {
        // A Redis server nobody listens on: the store opens lazily and every write fails.
        await using var server = await OtlpServer.StartAsync(connectionString: $"redis://127.0.0.1:{Profiler.Testing.FreePort.Next()}/0?socket_timeout=0.5");

        using var response = await PostAsync(server, Request(Spans.Checkout()).ToByteArray(), "application/x-protobuf");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("7", response.Headers.RetryAfter?.ToString());
        Assert.Contains("Try again later", StatusMessage(await response.Content.ReadAsByteArrayAsync()));
    }

    [Theory]
    [InlineData("text/plain", null, HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/x-protobuf", "br", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/x-protobuf", "gzip", HttpStatusCode.BadRequest)]
    public async Task A_body_of_the_wrong_type_or_encoding_is_refused(string contentType, string? encoding, HttpStatusCode expected)
    {
        await using var server = await OtlpServer.StartAsync();

        using var response = await PostAsync(server, Request(Spans.Checkout()).ToByteArray(), contentType, encoding);

        Assert.Equal(expected, response.StatusCode);
        Assert.Empty(await server.TraceIdsAsync());
    }

    /// <summary>The message of a google.rpc.Status in protobuf (field 2).</summary>
    internal static string StatusMessage(byte[] body)
    {
        var input = new CodedInputStream(body);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 2) return input.ReadString();
            input.SkipLastField();
        }
        return "";
    }
}
