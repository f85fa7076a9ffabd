using Profiler.Storage;

namespace Profiler.Application.Tests.Traces;

public sealed class TraceListCursorTests
{
    [Fact]
    public void A_cursor_gives_back_the_position_and_base_id_it_was_made_with()
    {
        var cursor = TraceListCursor.Create("mine", "2026-01-02T03:04:05.000006", "trace.1:a-b_c");

        Assert.True(TraceListCursor.TryParse("mine", cursor, out var position, out var baseId));
        Assert.Equal(("2026-01-02T03:04:05.000006", "trace.1:a-b_c"), (position, baseId));
        Assert.Equal((position, baseId), TraceListCursor.Parse("mine", cursor));
    }

    [Fact]
    public void Another_drivers_cursor_is_not_accepted()
    {
        var cursor = TraceListCursor.Create("theirs", "2026-01-02T03:04:05.000006", "t1");

        var e = Assert.Throws<FormatException>(() => TraceListCursor.Parse("mine", cursor));
        Assert.Contains(cursor[..20], e.Message);
        Assert.Contains("mine", e.Message);
    }

    [Fact]
    public void Every_single_character_edit_of_a_cursor_is_refused()
    {
        var cursor = TraceListCursor.Create("mine", "2026-01-02T03:04:05.000006", "t1");
        const string replacements = "Aa0-_.=";

        for (var i = 0; i < cursor.Length; i++)
            foreach (var c in replacements)
            {
                if (cursor[i] == c) continue;
                var edited = cursor[..i] + c + cursor[(i + 1)..];
                Assert.False(TraceListCursor.TryParse("mine", edited, out _, out _), $"accepted '{edited}'");
            }
        Assert.False(TraceListCursor.TryParse("mine", cursor[..^1], out _, out _));
        Assert.False(TraceListCursor.TryParse("mine", cursor + "A", out _, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("c1.")]
    [InlineData("c1.a.b.c")]
    [InlineData("2026-01-02T03:04:05.000006|t1")]
    public void Text_no_driver_made_is_a_FormatException_naming_it(string cursor)
    {
        var e = Assert.Throws<FormatException>(() => TraceListCursor.Parse("mine", cursor));

        Assert.Contains($"'{cursor}'", e.Message);
    }
}
