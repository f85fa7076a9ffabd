namespace Profiler.Domain.Tests;

public sealed class TraceTimestampTests
{
    [Theory]
    [InlineData("2026-11-25T01:40:47.957338", "2026-11-25T01:40:47.957338")]
    [InlineData("2026-11-25T01:40:47.9", "2026-11-25T01:40:47.900000")]
    [InlineData("2026-11-25T01:40:47", "2026-11-25T01:40:47.000000")]
    [InlineData("2024-02-29T23:59:59.000001", "2024-02-29T23:59:59.000001")]
    public void OSProfiler_timestamps_parse_and_print_with_six_fraction_digits(string text, string printed)
    {
        Assert.True(TraceTimestamp.TryParse(text, out var ts));
        Assert.Equal(printed, ts.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("2026-11-25 01:40:47.957338")]
    [InlineData("2026-13-25T01:40:47.957338")]
    [InlineData("2025-02-29T01:40:47.957338")]
    [InlineData("2026-11-25T24:00:00.000000")]
    [InlineData("2026-11-25T01:40:47.")]
    [InlineData("2026-11-25T01:40:47.1234567")]
    [InlineData("2026-11-25T01:40:47Z")]
    [InlineData("yesterday")]
    public void Anything_else_is_rejected(string text)
    {
        Assert.False(TraceTimestamp.TryParse(text, out _));
        var e = Assert.Throws<FormatException>(() => TraceTimestamp.Parse(text));
        Assert.Contains("YYYY-MM-DDTHH:MM:SS", e.Message);
    }

    [Fact]
    public void Milliseconds_between_two_timestamps_are_truncated()
    {
        var a = TraceTimestamp.Parse("2026-11-25T01:40:47.000999");
        var b = TraceTimestamp.Parse("2026-11-25T01:40:47.002998");

        Assert.Equal(1, b.MillisecondsSince(a));
    }

    [Fact]
    public void A_time_is_truncated_to_the_microsecond()
    {
        var t = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567);
        Assert.Equal("2026-01-02T03:04:05.123456", TraceTimestamp.FromDateTime(t).ToString());
    }
}
