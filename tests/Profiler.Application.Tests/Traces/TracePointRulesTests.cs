using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Application.Tests.Traces;

/// <summary>The vectorised checks of <see cref="TracePointRules"/> decide every character as the character-by-character rules do.</summary>
public sealed class TracePointRulesTests
{
    private static TracePoint Point(string name = "db-start", string id = "b-1", string? project = null) => new()
    {
        Name = name, BaseId = id, TraceId = id, ParentId = id, Timestamp = "2026-03-04T05:06:07.000008", Project = project,
    };

    [Fact]
    public void Every_UTF16_code_unit_is_judged_as_the_rules_state_it()
    {
        for (var c = char.MinValue; ; c++)
        {
            var safe = char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-';
            // Both ends and the middle of a vector: ids are searched 16 characters at a time.
            foreach (var id in new[] { $"{c}", $"abc{c}def", $"{new string('a', 16)}{c}{new string('b', 20)}" })
                Assert.True(safe == TracePointRules.IsSafeId(id), $"IsSafeId of U+{(int)c:X4} in '{id.Length}' characters");
            var label = $"{new string('p', 17)}{c}";
            Assert.True(!char.IsControl(c) == TracePointRules.IsValid(Point(project: label)), $"project holding U+{(int)c:X4}");
            Assert.True(!char.IsControl(c) == TracePointRules.IsValid(Point(name: $"o{c}p-stop")), $"name holding U+{(int)c:X4}");
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
