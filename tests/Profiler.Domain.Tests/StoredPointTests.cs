using System.Text;

namespace Profiler.Domain.Tests;

public class StoredPointTests
{
    private const string Document =
        """{"name": "db-start", "base_id": "b", "trace_id": "t1", "parent_id": "p", "project": "nova", "service": "api", "timestamp": "2026-11-25T01:40:47.957338", "info": {"host": "h1", "etype": "ValueError"}}""";

    [Fact]
    public void A_document_is_read_into_its_fields_and_kept_byte_for_byte_as_the_raw_payload()
    {
        var bytes = Encoding.UTF8.GetBytes(Document);
        var point = StoredPoint.FromDocument(bytes, null);

        Assert.True(point.IsReadable, point.Problem);
        Assert.Equal(("db-start", "t1", "p", "nova", "api", "h1", "ValueError"),
            (point.Name, point.TraceId, point.ParentId, point.Project, point.Service, point.Host, point.ErrorType));
        Assert.Equal(TraceTimestamp.Parse("2026-11-25T01:40:47.957338"), point.Timestamp);
        Assert.True(point.RawPayloadUtf8.Span.SequenceEqual(bytes));
        Assert.Equal(Document, point.RawPayload);
    }

    [Fact]
    public void Points_read_through_one_pool_share_one_string_per_repeated_text()
    {
        var pool = new StringPool();
        var start = StoredPoint.FromDocument(Document, pool);
        var stop = StoredPoint.FromDocument(Document.Replace("db-start", "db-stop"), pool);

        Assert.Same(start.TraceId, stop.TraceId);
        Assert.Same(start.ParentId, stop.ParentId);
        Assert.Same(start.Project, stop.Project);
        Assert.Same(start.Host, stop.Host);
        Assert.NotSame(start.Name, stop.Name);
    }

    [Fact]
    public void Escaped_texts_are_unescaped_before_they_are_pooled()
    {
        var pool = new StringPool();
        var escaped = StoredPoint.FromDocument(Document.Replace("\"trace_id\": \"t1\"", "\"trace_id\": \"\\u0074\\u0031\""), pool);
        var plain = StoredPoint.FromDocument(Document, pool);

        Assert.Equal("t1", escaped.TraceId);
        Assert.Same(escaped.TraceId, plain.TraceId);
    }

    [Theory]
    [InlineData("\"timestamp\": \"2026-11-25T01:40:47.957338\"", "\"timestamp\": \"yesterday\"", "timestamp 'yesterday' does not parse")]
    [InlineData("\"timestamp\": \"2026-11-25T01:40:47.957338\"", "\"timestamp\": 12", "field 'timestamp' is missing")]
    [InlineData("\"trace_id\": \"t1\", ", "", "field 'trace_id' is missing")]
    public void A_point_without_a_usable_field_is_unreadable_and_says_which(string field, string replacement, string problem)
    {
        var point = StoredPoint.FromDocument(Document.Replace(field, replacement), new StringPool());

        Assert.False(point.IsReadable);
        Assert.Equal(problem, point.Problem);
    }

    [Fact]
    public void A_pool_looks_up_utf8_and_strings_alike()
    {
        var pool = new StringPool();
        var first = pool.Get("héllo"u8);

        Assert.Same(first, pool.Get("héllo"));
        Assert.Same(first, pool.Get("héllo".AsSpan()));
        Assert.Equal(1, pool.Count);
        var longText = new string('x', 1000);
        Assert.Same(pool.Get(Encoding.UTF8.GetBytes(longText)), pool.Get(longText));
    }
}
