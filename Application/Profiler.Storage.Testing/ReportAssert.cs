using System.Text.Json.Nodes;

namespace Profiler.Storage.Testing;

/// <summary>Compares two reports (docs/osprofiler-formats.md §4): equal but for the order of siblings that started in the same millisecond.</summary>
public static class ReportAssert
{
    /// <summary>Fails (an xunit assertion failure listing up to 20 differences) unless the reports are equivalent.</summary>
    /// <param name="expected">OSProfiler's report.</param>
    /// <param name="actual">Ours.</param>
    /// <param name="payloadInfoOnly">
    /// Compare only the <c>info</c> of each <c>meta.raw_payload.*</c>: for a trace stored in one backend and
    /// reported from another (a Redis payload is the whole point, a SQL payload only <c>{"info": …}</c>).
    /// </param>
    public static void Equivalent(JsonNode expected, JsonNode actual, bool payloadInfoOnly = false)
    {
        var problems = new List<string>();
        if (payloadInfoOnly)
        {
            expected = StripPayloads(expected.DeepClone());
            actual = StripPayloads(actual.DeepClone());
        }
        Compare(expected, actual, "$", problems);
        if (problems.Count > 0)
            throw new Xunit.Sdk.XunitException("Reports differ:\n" + string.Join("\n", problems.Take(20)));
    }

    /// <summary>As <see cref="Equivalent(JsonNode, JsonNode, bool)"/>, for reports given as JSON text.</summary>
    public static void Equivalent(string expectedJson, string actualJson) =>
        Equivalent(JsonNode.Parse(expectedJson)!, JsonNode.Parse(actualJson)!);

    private static void Compare(JsonNode expected, JsonNode actual, string path, List<string> problems)
    {
        var e = expected.AsObject();
        var a = actual.AsObject();
        if (!JsonNode.DeepEquals(e["info"], a["info"]))
            problems.Add($"{path}.info: expected {e["info"]?.ToJsonString()}\n   got {a["info"]?.ToJsonString()}");
        if (e.ContainsKey("stats") && !JsonNode.DeepEquals(e["stats"], a["stats"]))
            problems.Add($"{path}.stats: expected {e["stats"]?.ToJsonString()}\n   got {a["stats"]?.ToJsonString()}");
        foreach (var key in new[] { "trace_id", "parent_id" })
            if (e.ContainsKey(key) && !JsonNode.DeepEquals(e[key], a[key]))
                problems.Add($"{path}.{key}: expected {e[key]} got {a[key]}");
        var ec = e["children"]!.AsArray();
        var ac = a["children"]!.AsArray();
        if (ec.Count != ac.Count)
        {
            problems.Add($"{path}.children: expected {ec.Count} nodes, got {ac.Count}");
            return;
        }
        // Order must agree by start time; within one millisecond any order is fine.
        var expectedStarts = ec.Select(Started).ToList();
        var actualStarts = ac.Select(Started).ToList();
        if (!expectedStarts.SequenceEqual(actualStarts))
        {
            problems.Add($"{path}.children: start order [{string.Join(",", expectedStarts)}] vs [{string.Join(",", actualStarts)}]");
            return;
        }
        var byId = ac.ToDictionary(n => (string)n!["trace_id"]!);
        for (var i = 0; i < ec.Count; i++)
        {
            var id = (string)ec[i]!["trace_id"]!;
            if (!byId.TryGetValue(id, out var match))
            {
                problems.Add($"{path}.children: node {id} missing");
                continue;
            }
            Compare(ec[i]!, match!, $"{path}/{ec[i]!["info"]!["name"]}", problems);
        }
    }

    private static JsonNode StripPayloads(JsonNode report)
    {
        var stack = new Stack<JsonNode>(report["children"]!.AsArray()!);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            var info = node["info"]!.AsObject();
            foreach (var key in info.Select(p => p.Key).Where(k => k.StartsWith("meta.raw_payload.", StringComparison.Ordinal)).ToList())
                info[key] = new JsonObject { ["info"] = info[key]?["info"]?.DeepClone() };
            foreach (var child in node["children"]!.AsArray()) stack.Push(child!);
        }
        return report;
    }

    private static long Started(JsonNode? node) => (long)node!["info"]!["started"]!;
}
