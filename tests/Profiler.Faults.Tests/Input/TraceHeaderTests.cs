using System.Text;
using System.Text.Json.Nodes;
using Profiler.Instrumentation;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Input;

/// <summary>
/// Generated <c>X-Trace-Info</c>/<c>X-Trace-HMAC</c> pairs: forged, mutated, re-signed garbage. A pair is accepted
/// only when it is signed with a configured key and decodes to safe ids; nothing throws; over HTTP such a request is
/// served untraced.
/// </summary>
public sealed class TraceHeaderTests(ITestOutputHelper output)
{
    private static readonly string[] Keys = ["k1", "SECRET_KEY"];

    private static string B64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).Replace('+', '-').Replace('/', '_');

    /// <summary>(kind, info, hmac); re-signed cases carry a valid HMAC over malformed content.</summary>
    private static IEnumerable<(string Kind, string? Info, string? Hmac)> Pairs(int count, int seed)
    {
        var random = new Random(seed);
        string[] garbageJson =
        [
            "{}", "[]", "null", "\"x\"", "5", "{\"base_id\": 5}", "{\"base_id\": null}", "{\"base_id\": \"a*\"}", "{\"base_id\": \"?\"}",
            "{\"base_id\": \"[a-z]\"}", "{\"base_id\": \"../x\"}", "{\"base_id\": \"a b\"}", "{\"base_id\": \"\"}", "{\"parent_id\": \"p\"}",
            "{\"base_id\": \"b\", \"parent_id\": \"p*\"}", "{\"base_id\": \"b\", \"parent_id\": 5}", "{\"base_id\": \"b\", \"extra\": 1}",
            "{\"base_id\": \"b\", \"base_id\": \"c\"}", "{\"base_id\": \"b\"", "{\"base_id\": \"b\"} trailing", "{\"base_id\": {\"x\": 1}}",
            "{\"base_id\": \"" + new string('a', 256) + "\"}", "{\"base_id\": \"\\u0000\"}", "{\"base_id\": \"\\ud800\"}", "{\"base_id\": \"é\"}",
            "{\"base_id\": \"b\", \"parent_id\": \"p\", \"hmac_key\": \"k1\"}", "{\"base_id\": [\"b\"]}", "{'base_id': 'b'}",
        ];
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid().ToString();
            var valid = TraceHeaders.Create("k1", id, id);
            switch (i % 10)
            {
                case 0: yield return ("forged with another key", valid.Info, TraceHeaders.Sign(valid.Info, "not-" + Keys[i % 2])); break;
                case 1: yield return ("mutated info", MalformedInput.Mutate(valid.Info, random, random.Next(1, 3)), valid.Hmac); break;
                case 2: yield return ("mutated hmac", valid.Info, MalformedInput.Mutate(valid.Hmac, random, random.Next(1, 3))); break;
                case 3: yield return ("upper-case hmac", valid.Info, valid.Hmac.ToUpperInvariant()); break;
                case 4:
                    var json = garbageJson[random.Next(garbageJson.Length)];
                    var info = B64(json);
                    yield return ("signed garbage", info, TraceHeaders.Sign(info, Keys[random.Next(2)]));
                    break;
                case 5:
                    // Re-signed mutation: the signature is right; the content decides.
                    var mutated = MalformedInput.Mutate(valid.Info, random, random.Next(1, 3));
                    yield return ("re-signed mutated info", mutated, TraceHeaders.Sign(mutated, "k1"));
                    break;
                case 6: yield return ("missing half", random.Next(2) == 0 ? null : valid.Info, random.Next(2) == 0 ? "" : null); break;
                case 7:
                    var big = B64("{\"base_id\": \"" + new string('b', 3000 + random.Next(5000)) + "\"}");
                    yield return ("huge info", big, TraceHeaders.Sign(big, "k1"));
                    break;
                case 8: yield return ("hmac of the decoded text", valid.Info, TraceHeaders.Sign($"{{\"base_id\": \"{id}\", \"parent_id\": \"{id}\"}}", "k1")); break;
                default:
                    var plain = $"{{\"base_id\": \"{id}\", \"parent_id\": \"{id}\"}}";
                    yield return ("unencoded JSON", plain, TraceHeaders.Sign(plain, "k1"));
                    break;
            }
        }
    }

    /// <summary>What a correct receiver accepts: a signature by one of the keys over URL-safe base64 of an object of safe ids.</summary>
    private static bool ShouldAccept(string? info, string? hmac)
    {
        if (info is null || hmac is null || info.Length > 4096) return false;
        if (!Keys.Any(k => TraceHeaders.Sign(info, k) == hmac.Trim())) return false;
        try
        {
            if (info.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '='))) return false;
            var node = JsonNode.Parse(Convert.FromBase64String(info.Replace('-', '+').Replace('_', '/'))) as JsonObject;
            if (node is null || node.Any(p => p.Key is not ("base_id" or "parent_id"))) return false;
            return node["base_id"] is JsonValue b && b.TryGetValue<string>(out var bs) && TracePointRules.IsSafeId(bs)
                   && (node["parent_id"] is null || node["parent_id"] is JsonValue p && p.TryGetValue<string>(out var ps) && TracePointRules.IsSafeId(ps));
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }

    [Fact]
    public void Over_a_thousand_generated_header_pairs_are_accepted_only_when_validly_signed_and_never_throw()
    {
        int tried = 0, rejected = 0, accepted = 0;
        var crashes = new List<string>();
        foreach (var (kind, info, hmac) in Pairs(1500, seed: 21))
        {
            tried++;
            try
            {
                var ok = TraceHeaders.TryVerify(info, hmac, Keys, out var continuation);
                if (ok) accepted++; else rejected++;
                if (ok != ShouldAccept(info, hmac)) crashes.Add($"{kind}: TryVerify said {ok} for {info} / {hmac}");
                if (ok && (!TracePointRules.IsSafeId(continuation!.BaseId) || !TracePointRules.IsSafeId(continuation.ParentId)))
                    crashes.Add($"{kind}: accepted unsafe ids {continuation}");
            }
            catch (Exception e)
            {
                crashes.Add($"{kind}: {e.GetType().Name}: {e.Message}");
            }
        }
        output.WriteLine($"trace headers in-process: {tried} pairs tried, {rejected} rejected, {accepted} accepted (each validly signed over safe ids), " +
                         $"{crashes.Count} crashes or wrong answers");
        Assert.True(crashes.Count == 0, string.Join("\n", crashes.Take(20)));
        Assert.True(rejected >= 1000);
    }

    [Fact]
    public async Task Over_HTTP_bad_header_pairs_are_served_untraced_and_valid_ones_traced()
    {
        await using var shell = await InProcessShell.StartAsync(hmacKeys: Keys);
        int tried = 0, served = 0;
        var crashes = new List<string>();
        var expectedTraced = new HashSet<string>();
        // Header values HTTP can carry (printable ASCII); a few valid pairs show that tracing is on.
        var pairs = Pairs(400, seed: 22).Where(p => (p.Info ?? "").All(c => c is >= ' ' and <= '~') && (p.Hmac ?? "").All(c => c is >= ' ' and <= '~'))
            .Where(p => !ShouldAccept(p.Info, p.Hmac)).Take(150).ToList();
        // Validly signed text that no JSON string reader can decode: a lone surrogate escape, invalid UTF-8.
        foreach (var bytes in new[] { "{\"base_id\": \"\\ud800\"}"u8.ToArray(), [.. "{\"base_id\": \""u8, 0xFF, 0xFE, .. "\"}"u8] })
        {
            var info = Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
            pairs.Add(("signed undecodable text", info, TraceHeaders.Sign(info, "k1")));
        }
        for (var i = 0; i < 3; i++)
        {
            var id = $"valid-{i}-{Guid.NewGuid():N}";
            var v = TraceHeaders.Create(Keys[i % 2], id, id);
            pairs.Add(("valid", v.Info, v.Hmac));
            expectedTraced.Add(id);
        }
        foreach (var (kind, info, hmac) in pairs)
        {
            tried++;
            using var request = new HttpRequestMessage(HttpMethod.Get, tried % 2 == 0 ? "health" : "api/v1/traces?limit=1");
            if (info is not null) request.Headers.TryAddWithoutValidation(TraceHeaders.InfoHeader, info);
            if (hmac is not null) request.Headers.TryAddWithoutValidation(TraceHeaders.HmacHeader, hmac);
            try
            {
                using var response = await shell.Client.SendAsync(request);
                if (response.IsSuccessStatusCode) served++;
                else crashes.Add($"{kind}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
            catch (HttpRequestException e)
            {
                crashes.Add($"{kind}: no answer: {e.Message}");
            }
        }
        // The valid pairs' traces arrive through the buffered notifier; wait for them, then nothing else may be there.
        List<string> listed = [];
        await Waiting.UntilAsync(async () =>
        {
            listed = JsonNode.Parse(await shell.Client.GetStringAsync("api/v1/traces?limit=1000"))!["traces"]!.AsArray()
                .Select(t => (string)t!["base_id"]!).ToList();
            return expectedTraced.All(listed.Contains);
        }, $"the {expectedTraced.Count} traces of the valid pairs to be stored", state: () => $"{listed.Count} traces listed");
        var untracedStored = listed.Except(expectedTraced).Count();
        output.WriteLine($"trace headers over HTTP: {tried} requests tried ({tried - expectedTraced.Count} with bad pairs), {served} served, " +
                         $"{crashes.Count} crashes, {listed.Count} traces stored ({expectedTraced.Count} expected from the valid pairs, {untracedStored} from bad ones)");
        Assert.True(crashes.Count == 0, string.Join("\n", crashes.Take(20)));
        Assert.True(tried - expectedTraced.Count >= 100);
        Assert.Equal(tried, served);
        Assert.Equal(expectedTraced.Order(), listed.Order());
    }
}
