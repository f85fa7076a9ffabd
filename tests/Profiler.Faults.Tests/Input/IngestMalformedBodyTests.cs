using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Input;

/// <summary>
/// Over a thousand malformed <c>POST /api/v1/points</c> bodies against the web shell on Kestrel: each is a 4xx problem
/// answer naming what is wrong, never a 5xx or a stack trace; the server keeps answering and stores nothing.
/// </summary>
public sealed class IngestMalformedBodyTests(ITestOutputHelper output)
{
    private const long MaxBody = 256 * 1024;

    /// <summary>One request: its body, content type, whether it is sent chunked, and the base id of any valid point in it.</summary>
    private sealed record Case(string Kind, byte[] Body, string? ContentType = "application/json", bool Chunked = false, string? GoodBaseId = null, bool ExpectContinue = false);

    private static IEnumerable<Case> Cases()
    {
        var random = new Random(8);
        var i = 0;
        // Each bad point alone in an array, and after a valid point of its own trace (the batch must store neither).
        foreach (var bad in MalformedInput.BadPoints(700, seed: 81))
        {
            var id = $"mixed-{i++}";
            if (i % 2 == 0) yield return new Case("bad point", [.. "["u8, .. bad, .. "]"u8]);
            else yield return new Case("good and bad points", [.. Encoding.UTF8.GetBytes($"[{Points.Json(id, id + "-a")}, "), .. bad, .. "]"u8],
                GoodBaseId: id);
        }
        // Whole bodies that are not an array of points.
        string[] bodies = ["", " ", "null", "{}", "[]", "5", "\"points\"", "true", "[null]", "[5]", "[[]]", "[{}]", "{\"points\": []}", "[", "]", "[{",
            "[{\"name\": \"db-start\"", "\uFEFF", "[1,2,3", "[{}]garbage", "[{}] [{}]", "/* comment */ []", "[{\"name\": \"db-start\",}]", "NaN", "[-]"];
        foreach (var b in bodies) yield return new Case("not an array of points", Encoding.UTF8.GetBytes(b));
        // Deep nesting of the body itself, and inside info.
        foreach (var depth in new[] { 66, 100, 1_000, 10_000, 100_000 })
        {
            yield return new Case("deep body", Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth)));
            var id = $"deep-{depth}";
            var nested = new string('[', depth) + new string(']', depth);
            yield return new Case("deep info", Encoding.UTF8.GetBytes(
                "[" + Points.Json(id, id + "-a").Replace("{\"host\": \"node-1\"}", "{\"host\": \"node-1\", \"deep\": " + nested + "}") + "]"), GoodBaseId: id);
        }
        // Invalid UTF-8 anywhere, and other encodings.
        for (var k = 0; k < 60; k++)
        {
            var id = $"utf8-{k}";
            var body = Encoding.UTF8.GetBytes("[" + Points.Json(id, id + "-a") + "]").ToList();
            byte[][] bad = [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xE2, 0x82]];
            body.InsertRange(random.Next(1, body.Count - 1), bad[k % bad.Length]);
            yield return new Case("invalid UTF-8", [.. body], GoodBaseId: id);
        }
        yield return new Case("UTF-16 body", Encoding.Unicode.GetBytes("[" + Points.Json("utf16", "utf16-a") + "]"), GoodBaseId: "utf16");
        yield return new Case("UTF-32 body", Encoding.UTF32.GetBytes("[" + Points.Json("utf32", "utf32-a") + "]"), GoodBaseId: "utf32");
        // Ids with glob and path characters.
        foreach (var id in new[] { "*", "?", "[a-z]*", "a*", "osprofiler_opt:*", "../x", "/etc/passwd", "a b", "a\\u0000", "%", "a%", "..\\\\x", "é", "{a,b}", "\\\\", "a/b" })
            foreach (var field in new[] { "base_id", "trace_id", "parent_id" })
            {
                var json = Points.Json("glob-ok", "glob-ok-a");
                json = field switch
                {
                    "base_id" => json.Replace("\"base_id\": \"glob-ok\"", $"\"base_id\": \"{id}\""),
                    "trace_id" => json.Replace("\"trace_id\": \"glob-ok-a\"", $"\"trace_id\": \"{id}\""),
                    _ => json.Replace("\"parent_id\": \"glob-ok\"", $"\"parent_id\": \"{id}\""),
                };
                yield return new Case("unsafe id", Encoding.UTF8.GetBytes("[" + json + "]"), GoodBaseId: "glob-ok");
            }
        // Names without -start/-stop, bad timestamps, wrong types for every field.
        foreach (var name in new[] { "db", "db-begin", "-start", "-stop", "start", "db-start\\n", "db-Start", "db-stop-", "", "db-start\\u0007" })
            yield return new Case("bad name", Encoding.UTF8.GetBytes("[" + Points.Json("name-ok", "name-ok-a", name: name) + "]"), GoodBaseId: "name-ok");
        foreach (var ts in new[] { "", "now", "2026-03-01", "2026-03-01 12:00:00", "2026-02-30T12:00:00.0", "2026-03-01T25:00:00.0", "2026-03-01T12:00:00.0000001",
                     "0000-00-00T00:00:00.0", "9999-99-99T99:99:99.999999", "2026-03-01T12:00:00.000001Z+99", "１２", "2026-03-01T12:00:00.-1" })
            yield return new Case("bad timestamp", Encoding.UTF8.GetBytes("[" + Points.Json("ts-ok", "ts-ok-a", timestamp: ts) + "]"), GoodBaseId: "ts-ok");
        foreach (var field in new[] { "name", "base_id", "trace_id", "parent_id", "timestamp", "info", "project", "service" })
            foreach (var value in new[] { "1", "1.5e308", "true", "[]", "{}", "[\"a\"]", "-0" })
            {
                var node = JsonNode.Parse(Points.Json("type-ok", "type-ok-a"))!.AsObject();
                node[field] = JsonNode.Parse(value);
                if (field == "info" && value == "{}") continue; // a valid point
                yield return new Case("wrong type", Encoding.UTF8.GetBytes("[" + node.ToJsonString() + "]"), GoodBaseId: "type-ok");
            }
        // Huge strings: over the body limit (413), and just under it in a field that has a limit.
        yield return new Case("huge name", Encoding.UTF8.GetBytes("[" + Points.Json("huge-ok", "huge-ok-a", name: new string('n', 200_000) + "-start") + "]"), GoodBaseId: "huge-ok");
        yield return new Case("huge id", Encoding.UTF8.GetBytes("[" + Points.Json(new string('h', 200_000), "huge-a") + "]"));
        yield return new Case("huge project", Encoding.UTF8.GetBytes("[" + Points.Json("proj-ok", "proj-ok-a").Replace("\"nova\"", "\"" + new string('p', 100_000) + "\"") + "]"), GoodBaseId: "proj-ok");
        for (var k = 0; k < 20; k++)
        {
            var id = $"big-{k}";
            var filler = new string('x', (int)MaxBody + random.Next(1, 300_000));
            var body = Encoding.UTF8.GetBytes("[" + Points.Json(id, id + "-a").Replace("\"node-1\"", "\"node-1\", \"pad\": \"" + filler + "\"") + "]");
            yield return new Case("oversize body", body, Chunked: k % 2 == 1, GoodBaseId: id);
        }
        // Far over the limit: a client sending that much asks first (Expect: 100-continue) and gets the 413 before sending it.
        for (var k = 0; k < 3; k++)
        {
            var id = $"far-{k}";
            var body = Encoding.UTF8.GetBytes("[" + Points.Json(id, id + "-a").Replace("\"node-1\"", "\"node-1\", \"pad\": \"" + new string('y', 4_000_000) + "\"") + "]");
            yield return new Case("far oversize body", body, GoodBaseId: id, ExpectContinue: true);
        }
        // Wrong content types, for a body that is otherwise valid.
        foreach (var type in new[] { null, "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                     "application/json; charset=latin1", "application/json; charset=utf-16", "text/json", "json", "application/jsonx", "*/*",
                     "application/", ";;;", "application/json; charset=\"iso-8859-1\"", "image/png" })
        {
            var id = $"ct-{i++}";
            yield return new Case("wrong content type", Encoding.UTF8.GetBytes("[" + Points.Json(id, id + "-a") + "]"), type, GoodBaseId: id);
        }
        // Random mutations of a valid two-point batch that break it (the ones that still parse as valid are left out).
        var valid = "[" + Points.Json("mut", "mut-a") + ", " + Points.Json("mut", "mut-a", name: "db-stop", timestamp: "2026-03-01T12:00:00.000009") + "]";
        for (var k = 0; k < 200; k++)
            yield return new Case("mutated batch", Encoding.UTF8.GetBytes(MalformedInput.Mutate(valid, random, random.Next(1, 4))), GoodBaseId: "mut");
    }

    [Fact]
    public async Task Over_a_thousand_malformed_bodies_are_each_refused_with_a_4xx_problem_and_nothing_is_stored()
    {
        await using var shell = await InProcessShell.StartAsync(maxBodyBytes: MaxBody);
        var tried = 0;
        var rejected = 0;
        var crashes = new List<string>();
        var byStatus = new SortedDictionary<int, int>();
        var ids = new HashSet<string>();
        var skippedValid = 0;
        foreach (var c in Cases())
        {
            // A mutation can leave a valid batch; it is not malformed input, so it is not sent.
            if (c.Kind == "mutated batch" && Web.IngestParse(c.Body)) { skippedValid++; continue; }
            tried++;
            if (c.GoodBaseId is not null) ids.Add(c.GoodBaseId);
            HttpResponseMessage response;
            try
            {
                response = await shell.PostAsync(c.Body, c.ContentType, c.Chunked, c.ExpectContinue);
            }
            catch (HttpRequestException e)
            {
                crashes.Add($"{c.Kind}: no answer ({e.InnerException?.Message ?? e.Message}) for {c.Body.Length} bytes {Truncate(Encoding.UTF8.GetString(c.Body))}");
                continue;
            }
            using var _ = response;
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            byStatus[status] = byStatus.GetValueOrDefault(status) + 1;
            if (status is >= 400 and < 500 && response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                && JsonNode.Parse(text)?["detail"]?.GetValue<string>() is { Length: > 0 } && !text.Contains("   at ", StringComparison.Ordinal))
                rejected++;
            else crashes.Add($"{c.Kind}: {status} {Truncate(text)} for {Truncate(Encoding.UTF8.GetString(c.Body))}");
        }

        using var health = await shell.Client.GetAsync("health");
        var listing = JsonNode.Parse(await shell.Client.GetStringAsync("api/v1/traces?limit=1000"))!["traces"]!.AsArray();
        var probed = ids.Take(25).Append("1b9b0e2e-7c2f-4f0c-9a59-3c4f6f8f2f11").ToList();
        var found = 0;
        foreach (var id in probed)
        {
            using var r = await shell.Client.GetAsync("api/v1/traces/" + Uri.EscapeDataString(id));
            if (r.StatusCode != HttpStatusCode.NotFound) found++;
        }
        var errorLogs = shell.Logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)).ToList();

        output.WriteLine($"ingest API: {tried} malformed requests tried, {rejected} rejected with a 4xx problem, {crashes.Count} crashes " +
                         $"(5xx, non-problem or stack trace), {listing.Count} traces stored; {skippedValid} mutations left a valid batch and were not sent");
        output.WriteLine("status counts: " + string.Join(", ", byStatus.Select(kv => $"{kv.Key}: {kv.Value}")));
        output.WriteLine($"health after: {(int)health.StatusCode}; {probed.Count} ids of valid points in rejected batches probed, {found} found; " +
                         $"{errorLogs.Count} error log lines");
        Assert.True(tried >= 1000, $"only {tried} cases");
        Assert.True(crashes.Count == 0, string.Join("\n", crashes.Take(20)));
        Assert.Equal(tried, rejected);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Empty(listing);
        Assert.Equal(0, found);
        Assert.True(errorLogs.Count == 0, string.Join("\n", errorLogs.Take(5)));
    }

    private static string Truncate(string s) => s.Length > 200 ? s[..200] + "…" : s;
}

/// <summary>The shell's own parser, to tell whether a generated body happens to be valid.</summary>
internal static class Web
{
    public static bool IngestParse(byte[] body)
    {
        try
        {
            if (!System.Text.Unicode.Utf8.IsValid(body)) return false;
            if (JsonNode.Parse(body, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 65 }) is not JsonArray array || array.Count == 0)
                return false;
            foreach (var item in array)
            {
                var point = Profiler.Domain.TracePointJson.FromNode(item?.DeepClone());
                var ok = true;
                Profiler.Storage.TracePointRules.Check(point, (_, _) => ok = false);
                if (!ok) return false;
            }
            return true;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }
}
