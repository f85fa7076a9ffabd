using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace Profiler.Otlp.Tests;

public sealed class MalformedTests
{
    /// <summary>
    /// 1,000 malformed requests made from a valid one with a fixed seed: truncated protobuf (every cut inside the one
    /// top-level field is malformed), ids of wrong lengths in protobuf and in JSON, ids that are not hex, bytes that are
    /// not a message, JSON that is not OTLP. Each gets a 4xx; nothing of any of them is stored.
    /// </summary>
    [Fact]
    public async Task A_thousand_malformed_requests_each_get_a_4xx_and_none_stores_anything()
    {
        await using var server = await OtlpServer.StartAsync();
        var cases = Cases().ToList();
        Assert.Equal(1000, cases.Count);

        var failures = new List<string>();
        foreach (var (name, body, type) in cases)
        {
            using var response = await ReceiverTests.PostAsync(server, body, type);
            var status = (int)response.StatusCode;
            if (status is < 400 or >= 500) failures.Add($"{name}: {status} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} malformed request(s) not refused:\n" + string.Join("\n", failures.Take(20)));
        Assert.Empty(await server.TraceIdsAsync());
    }

    private static IEnumerable<(string Name, byte[] Body, string Type)> Cases()
    {
        var random = new Random(18);
        var valid = ReceiverTests.Request(Spans.Checkout());
        var bytes = valid.ToByteArray();
        // One top-level field: a single resource spans holding every span.
        var one = new ExportTraceServiceRequest();
        one.ResourceSpans.Add(valid.ResourceSpans[0]);
        var oneBytes = one.ToByteArray();

        // 400 truncations: any cut strictly inside the only top-level field leaves it short.
        for (var i = 0; i < 400; i++)
        {
            var cut = 1 + random.Next(oneBytes.Length - 1);
            yield return ($"truncated at {cut}", oneBytes[..cut], "application/x-protobuf");
        }
        // 250 protobuf bodies with one id of a wrong length (or all zero).
        for (var i = 0; i < 250; i++)
        {
            var request = valid.Clone();
            var spans = request.ResourceSpans[0].ScopeSpans[0].Spans;
            var span = spans[random.Next(spans.Count)];
            var which = random.Next(4);
            var length = which switch { 0 => Pick(random, 16), 3 => 16, _ => Pick(random, 8) };
            var id = ByteString.CopyFrom(Enumerable.Range(0, length).Select(_ => which == 3 ? (byte)0 : (byte)random.Next(1, 256)).ToArray());
            switch (which)
            {
                case 0: span.TraceId = id; break;
                case 1: span.SpanId = id; break;
                case 2: span.ParentSpanId = length == 0 ? ByteString.CopyFrom(1, 2, 3) : id; break;
                default: span.TraceId = id; break;
            }
            yield return ($"protobuf id case {which} length {length}", request.ToByteArray(), "application/x-protobuf");
        }
        // 150 JSON bodies whose ids are of a wrong length, not hex, or base64 (as protobuf's own JSON mapping writes them).
        var json = OtlpJson.Format(valid);
        for (var i = 0; i < 150; i++)
        {
            var field = random.Next(3) switch { 0 => "traceId", 1 => "spanId", _ => "parentSpanId" };
            var replacement = random.Next(3) switch
            {
                0 => RandomHex(random, field == "traceId" ? Pick(random, 16) : Math.Max(1, Pick(random, 8))),
                1 => "zz" + RandomHex(random, 7) + "g",
                _ => Convert.ToBase64String(Enumerable.Range(0, field == "traceId" ? 16 : 8).Select(_ => (byte)random.Next(256)).ToArray()) + "+/",
            };
            var at = json.IndexOf($"\"{field}\":\"", StringComparison.Ordinal);
            var start = at + field.Length + 4;
            var end = json.IndexOf('"', start);
            yield return ($"JSON {field} '{replacement}'", Encoding.UTF8.GetBytes(json[..start] + replacement + json[end..]), "application/json");
        }
        // 100 bodies of random bytes that do not parse as a message (checked here, so each is malformed).
        var produced = 0;
        while (produced < 100)
        {
            var garbage = new byte[1 + random.Next(64)];
            random.NextBytes(garbage);
            try
            {
                ExportTraceServiceRequest.Parser.ParseFrom(garbage);
                continue;
            }
            catch (InvalidProtocolBufferException)
            {
            }
            produced++;
            yield return ($"garbage {Convert.ToHexString(garbage)}", garbage, "application/x-protobuf");
        }
        // 100 JSON bodies that are not OTLP/JSON.
        string[] notOtlp =
        [
            "", "[]", "null", "42", "{\"resourceSpans\": 5}", "{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"startTimeUnixNano\": \"soon\"}]}]}]}",
            "{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"traceId\": 7}]}]}]}", "{\"resourceSpans\": [", "{\"resourceSpans\": [{\"resource\": []}]}",
            "{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"kind\": \"sideways\"}]}]}]}",
        ];
        for (var i = 0; i < 100; i++)
            yield return ($"not OTLP/JSON {notOtlp[i % notOtlp.Length]}", Encoding.UTF8.GetBytes(notOtlp[i % notOtlp.Length]), "application/json");
    }

    /// <summary>A length from 0 to 2×<paramref name="right"/> other than <paramref name="right"/>.</summary>
    private static int Pick(Random random, int right)
    {
        int n;
        do n = random.Next(0, right * 2 + 1); while (n == right);
        return n;
    }

    private static string RandomHex(Random random, int bytes) =>
        Convert.ToHexStringLower(Enumerable.Range(0, bytes).Select(_ => (byte)random.Next(1, 256)).ToArray());
}
