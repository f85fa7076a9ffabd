using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Profiler.Testing;

namespace Profiler.Otlp.Tests;

/// <summary>
/// Issue 14, exactly once, for OTLP clients: no OTel exporter sends a batch id, and every one sends an export again
/// after UNAVAILABLE or a lost answer. The same export received twice is stored once; and input no store can write
/// (a lone UTF-16 surrogate, which OTLP/JSON can carry; spans that all fail the point rules) is refused naming it,
/// before anything is stored.
/// </summary>
public sealed class ExactlyOnceTests
{
    private const string CheckoutBaseId = "5b8efff7-9803-8103-d269-b633813fc60c";

    /// <summary>One unary gRPC call of <c>TraceService/Export</c> over cleartext HTTP/2, as any gRPC client sends it: the grpc-status and grpc-message.</summary>
    private static Task<(string Status, string? Message)> ExportOverGrpcAsync(OtlpServer server, IMessage request) =>
        RawGrpc.ExportTracesAsync(server.GrpcUrl, request.ToByteArray());

    private static async Task<long> StoredPointsAsync(OtlpServer server) =>
        (long)JsonNode.Parse(await server.Client.GetStringAsync("api/v1/stats"))!["points"]!;

    [Fact]
    public async Task The_same_gRPC_export_received_twice_is_stored_once()
    {
        await using var server = await OtlpServer.StartAsync();
        var request = ReceiverTests.Request(Spans.Checkout());

        Assert.Equal("0", (await ExportOverGrpcAsync(server, request)).Status);
        Assert.Equal("0", (await ExportOverGrpcAsync(server, request)).Status);

        // Five spans, a start and a stop point each.
        Assert.Equal(10, await StoredPointsAsync(server));
        Assert.Equal(Spans.CheckoutTree, JsonNodeReport.Tree((await server.ReportAsync(CheckoutBaseId))!));
    }

    [Fact]
    public async Task The_same_OTLP_JSON_export_posted_twice_is_stored_once()
    {
        await using var server = await OtlpServer.StartAsync();
        var body = Encoding.UTF8.GetBytes(OtlpJson.Format(ReceiverTests.Request(Spans.Checkout())));

        using (var first = await ReceiverTests.PostAsync(server, body, "application/json")) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var again = await ReceiverTests.PostAsync(server, body, "application/json")) Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        Assert.Equal(10, await StoredPointsAsync(server));
    }

    [Fact]
    public async Task An_OTLP_JSON_string_holding_a_lone_UTF16_surrogate_is_400_naming_where_it_is_and_stores_nothing()
    {
        await using var server = await OtlpServer.StartAsync();
        var json = OtlpJson.Format(ReceiverTests.Request(Spans.Checkout()));
        Assert.Contains("SELECT * FROM carts", json);
        var body = Encoding.UTF8.GetBytes(json.Replace("SELECT * FROM carts", "SELECT \\ud83d FROM carts", StringComparison.Ordinal));

        using var response = await ReceiverTests.PostAsync(server, body, "application/json");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
        var message = (string)JsonNode.Parse(text)!["message"]!;
        Assert.StartsWith("the body is not OTLP/JSON: resourceSpans[0].scopeSpans[0].spans[1].attributes[0].value.stringValue " +
                          "\"SELECT \\ud83d FROM carts", message);
        Assert.Contains("holds a lone UTF-16 surrogate", message);
        Assert.Equal(0, await StoredPointsAsync(server));
    }

    [Fact]
    public async Task An_export_whose_every_span_is_rejected_is_400_naming_them_and_stores_nothing()
    {
        await using var server = await OtlpServer.StartAsync();
        var data = Spans.Checkout();
        var spans = data.ResourceSpans[0].ScopeSpans[0].Spans;
        var db = spans[1];
        db.Name = "db\u0007bell";
        spans.Clear();
        spans.Add(db);
        data.ResourceSpans.RemoveAt(1);

        using var response = await ReceiverTests.PostAsync(server, Encoding.UTF8.GetBytes(OtlpJson.Format(ReceiverTests.Request(data))), "application/json");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
        var message = (string)JsonNode.Parse(text)!["message"]!;
        Assert.Contains("every span was rejected: span 0 'db?bell' (1000000000000002): name 'db?bell-start' must be at most 255 printable characters", message);
        Assert.EndsWith("nothing was stored", message);
        Assert.Equal(0, await StoredPointsAsync(server));
    }
}
