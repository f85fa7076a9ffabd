using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Application.Tests.Traces;

/// <summary>The vectorised checks of <see cref="TracePointRules"/> decide every character as the character-by-character rules do.</summary>
public sealed class TracePointRulesTests
{
    private static TracePoint Point(string name = "db-start", string id = "b-1", string? project = null, string? host = null) => new()
    {
        Name = name, BaseId = id, TraceId = id, ParentId = id, Timestamp = "2026-03-04T05:06:07.000008", Project = project,
        Info = host is null ? null : new JsonObject { ["host"] = host },
    };

    private static List<(string Field, string Message)> Problems(TracePoint point)
    {
        var problems = new List<(string, string)>();
        TracePointRules.Check(point, (field, message) => problems.Add((field, message)));
        return problems;
    }

    /// <summary>A point as an ingest request carries it: parsed from JSON, so <c>info.host</c> is a parsed value.</summary>
    private static TracePoint Parsed(string hostJson) => TracePointJson.Parse(
        """{"name": "db-start", "base_id": "b", "trace_id": "t", "parent_id": "b", "timestamp": "2026-03-04T05:06:07.000008", "info": {"host": """
        + hostJson + "}}");

    [Fact]
    public void A_host_over_255_characters_is_rejected_naming_info_host_like_a_project_or_service()
    {
        Assert.True(TracePointRules.IsValid(Point(host: new string('h', 255))));
        var point = Point(host: new string('h', 256));
        Assert.False(TracePointRules.IsValid(point));
        var (field, message) = Assert.Single(Problems(point));
        Assert.Equal("info.host", field);
        Assert.Contains($"info.host '{new string('h', 60)}…' must be at most 255 printable characters", message);
        Assert.Contains("255 printable characters", TracePointRules.FirstProblem(point));
    }

    [Fact]
    public void Checking_the_host_of_a_point_built_in_code_allocates_nothing()
    {
        var points = new[] { Point(host: "node-1"), Point(host: new string('h', 255)), Point() };
        foreach (var p in points) Assert.True(TracePointRules.IsValid(p));
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            foreach (var p in points) TracePointRules.IsValid(p);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - allocated);
    }

    [Fact]
    public void A_host_parsed_from_JSON_is_judged_as_the_same_host_set_in_code()
    {
        Assert.True(TracePointRules.IsValid(Parsed($"\"{new string('h', 255)}\"")));
        Assert.False(TracePointRules.IsValid(Parsed($"\"{new string('h', 256)}\"")));
        // Escapes and multi-byte characters: judged by their characters, not by the bytes that spell them.
        Assert.True(TracePointRules.IsValid(Parsed($"\"{string.Concat(Enumerable.Repeat("\\u00e9", 255))}\"")));
        Assert.True(TracePointRules.IsValid(Parsed($"\"{new string('é', 200)}\"")));
        Assert.False(TracePointRules.IsValid(Parsed("\"node\\u0007\"")));
        Assert.False(TracePointRules.IsValid(Parsed("\"node\u0085\"")));
        var unreadable = Parsed("\"node\\ud800\"");
        Assert.False(TracePointRules.IsValid(unreadable));
        Assert.Equal("info.host", Assert.Single(Problems(unreadable)).Field);
        // A host that is not a string is not a host label (TracePoint.Host is null): drivers ignore it.
        Assert.True(TracePointRules.IsValid(Parsed("42")));
        Assert.True(TracePointRules.IsValid(Point()));
    }

    [Fact]
    public void Labels_may_hold_surrogate_pairs_but_not_unpaired_surrogates()
    {
        Assert.True(TracePointRules.IsValid(Point(name: "db\U0001F600-start", project: "p\U0001F600", host: "\U0001F600")));
        foreach (var bad in new[] { "a\uD83D", "\uDE00a", "a\uDE00\uD83D", "\uD83D\uD83D" })
        {
            Assert.False(TracePointRules.IsLabel(bad), $"label {bad.Length} long");
            var (field, message) = Assert.Single(Problems(Point(project: bad)));
            Assert.Equal("project", field);
            Assert.Contains("unpaired UTF-16 surrogate", message);
            // The message itself holds no unpaired surrogate: it can be logged and sent as JSON.
            Assert.DoesNotContain(message, char.IsSurrogate);
        }
    }

    [Fact]
    public void Show_never_cuts_a_surrogate_pair_in_two_and_shows_unpaired_surrogates_as_question_marks()
    {
        var text = new string('a', 59) + "\U0001F600" + "tail";
        Assert.Equal(new string('a', 59) + "…", TracePointRules.Show(text));
        Assert.Equal("a?b\U0001F600", TracePointRules.Show("a\uD800b\U0001F600"));
    }

    [Fact]
    public void Every_UTF16_code_unit_is_judged_as_the_rules_state_it()
    {
        for (var c = char.MinValue; ; c++)
        {
            var safe = char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-';
            // Both ends and the middle of a vector: ids are searched 16 characters at a time.
            foreach (var id in new[] { $"{c}", $"abc{c}def", $"{new string('a', 16)}{c}{new string('b', 20)}" })
                Assert.True(safe == TracePointRules.IsSafeId(id), $"IsSafeId of U+{(int)c:X4} in '{id.Length}' characters");
            // A surrogate on its own is not a character: a label holding one cannot be stored (see the pair test below).
            var printable = !char.IsControl(c) && !char.IsSurrogate(c);
            var label = $"{new string('p', 17)}{c}";
            Assert.True(printable == TracePointRules.IsValid(Point(project: label)), $"project holding U+{(int)c:X4}");
            Assert.True(printable == TracePointRules.IsValid(Point(name: $"o{c}p-stop")), $"name holding U+{(int)c:X4}");
            Assert.True(printable == TracePointRules.IsValid(Point(host: label)), $"host holding U+{(int)c:X4}");
            if (c == char.MaxValue) break;
        }
    }

    [Fact]
    public void Ids_are_one_to_255_characters()
    {
        Assert.False(TracePointRules.IsSafeId(null));
        Assert.False(TracePointRules.IsSafeId(""));
        Assert.True(TracePointRules.IsSafeId(new string('a', 255)));
        Assert.False(TracePointRules.IsSafeId(new string('a', 256)));
    }
}
