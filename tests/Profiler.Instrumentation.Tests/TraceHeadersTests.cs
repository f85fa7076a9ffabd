using System.Security.Cryptography;
using System.Text;

namespace Profiler.Instrumentation.Tests;

public sealed class TraceHeadersTests
{
    // OSProfiler's test vector (docs/osprofiler-formats.md §5).
    private const string Key = "SECRET_KEY";
    private const string BaseId = "1b9b0e2e-7c2f-4f0c-9a59-3c4f6f8f2f11";
    private const string ParentId = "5d2f1c7a-0b3e-4d5f-8a6b-9c0d1e2f3a4b";
    private const string Info = "eyJiYXNlX2lkIjogIjFiOWIwZTJlLTdjMmYtNGYwYy05YTU5LTNjNGY2ZjhmMmYxMSIsICJwYXJlbnRfaWQiOiAiNWQyZjFjN2EtMGIzZS00ZDVmLThhNmItOWMwZDFlMmYzYTRiIn0=";
    private const string Hmac = "2cea014c86e464f8e6647facdf9e75aa5e6c3168";

    private static string Pack(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).Replace('+', '-').Replace('/', '_');

    [Fact]
    public void Signing_reproduces_OSProfilers_test_vector()
    {
        var headers = TraceHeaders.Create(Key, BaseId, ParentId);
        Assert.Equal(Info, headers.Info);
        Assert.Equal(Hmac, headers.Hmac);
        Assert.Equal([$"X-Trace-Info: {Info}", $"X-Trace-HMAC: {Hmac}"], headers.ToLines());
    }

    [Fact]
    public void The_test_vector_verifies_with_any_one_of_several_keys()
    {
        Assert.True(TraceHeaders.TryVerify(Info, Hmac, ["other", Key, "third"], out var c));
        Assert.Equal(BaseId, c!.BaseId);
        Assert.Equal(ParentId, c.ParentId);
        Assert.Equal(Key, c.HmacKey);
        Assert.DoesNotContain(Key, c.ToString());
        Assert.True(TraceHeaders.TryVerify(Info, "  " + Hmac + "\n", [Key], out _));
    }

    [Fact]
    public void Defaults_are_a_new_base_id_and_the_base_id_as_parent()
    {
        var headers = TraceHeaders.Create(Key);
        Assert.True(TraceHeaders.TryVerify(headers.Info, headers.Hmac, [Key], out var c));
        Assert.True(Guid.TryParse(c!.BaseId, out _));
        Assert.Equal(c.BaseId, c.ParentId);
    }

    [Fact]
    public void A_profiler_signs_with_its_key_and_current_scope()
    {
        var profiler = new TraceProfiler(Key, new CollectingSink(), BaseId);
        using var scope = profiler.Trace("wsgi");
        var headers = TraceHeaders.Create(profiler)!.Value;
        Assert.True(TraceHeaders.TryVerify(headers.Info, headers.Hmac, [Key], out var c));
        Assert.Equal(BaseId, c!.BaseId);
        Assert.Equal(scope.TraceId, c.ParentId);
        Assert.Null(TraceHeaders.Create(new TraceProfiler(null, new CollectingSink())));
    }

    [Theory]
    [InlineData("wrong key")]
    [InlineData("secret_key")]
    public void A_wrong_key_is_rejected(string key) => Assert.False(TraceHeaders.TryVerify(Info, Hmac, [key], out _));

    [Theory]
    [InlineData("2CEA014C86E464F8E6647FACDF9E75AA5E6C3168")] // OSProfiler compares lowercase hex text
    [InlineData("2cea014c86e464f8e6647facdf9e75aa5e6c3169")]
    [InlineData("2cea014c86e464f8e6647facdf9e75aa5e6c316")]
    [InlineData("")]
    [InlineData(null)]
    public void A_wrong_hmac_is_rejected(string? hmac) => Assert.False(TraceHeaders.TryVerify(Info, hmac, [Key], out _));

    [Fact]
    public void No_keys_or_no_info_is_rejected()
    {
        Assert.False(TraceHeaders.TryVerify(Info, Hmac, [], out _));
        Assert.False(TraceHeaders.TryVerify(null, Hmac, [Key], out _));
        Assert.False(TraceHeaders.TryVerify(Info, Hmac, [""], out _));
    }

    [Theory]
    [InlineData("{\"base_id\": \"b\", \"parent_id\": \"p\", \"hmac_key\": \"x\"}")] // extra key
    [InlineData("{\"base_id\": \"b\", \"extra\": 1}")]
    [InlineData("{\"parent_id\": \"p\"}")] // missing base_id
    [InlineData("{\"base_id\": 5}")]
    [InlineData("{\"base_id\": \"b\", \"base_id\": \"c\"}")]
    [InlineData("{\"base_id\": \"a b\"}")] // unsafe ids
    [InlineData("{\"base_id\": \"b\", \"parent_id\": \"osprofiler:*\"}")]
    [InlineData("[\"b\"]")]
    [InlineData("not json")]
    [InlineData("{\"base_id\": \"b\"} trailing")]
    public void A_correctly_signed_but_unacceptable_payload_is_rejected(string json)
    {
        var info = Pack(json);
        Assert.False(TraceHeaders.TryVerify(info, TraceHeaders.Sign(info, Key), [Key], out _));
    }

    [Theory]
    [InlineData("!!!not base64!!!")]
    [InlineData("eyJiYXNlX2lkIjogImIifQ")] // padding missing
    [InlineData("eyJiYXNlX2lkIjog+/8=")]
    public void Garbage_base64_is_rejected(string info) =>
        Assert.False(TraceHeaders.TryVerify(info, TraceHeaders.Sign(info, Key), [Key], out _));

    [Fact]
    public void A_payload_with_only_base_id_or_a_null_parent_continues_under_the_base_id()
    {
        foreach (var json in new[] { "{\"base_id\": \"b1\"}", "{\"base_id\": \"b1\", \"parent_id\": null}" })
        {
            var info = Pack(json);
            Assert.True(TraceHeaders.TryVerify(info, TraceHeaders.Sign(info, Key), [Key], out var c), json);
            Assert.Equal("b1", c!.ParentId);
        }
    }

    [Fact]
    public void Signing_refuses_unsafe_ids_and_an_empty_key()
    {
        Assert.Contains("a\"b", Assert.Throws<ArgumentException>(() => TraceHeaders.Create(Key, "a\"b")).Message);
        Assert.Throws<ArgumentException>(() => TraceHeaders.Create(Key, "b", "p q"));
        Assert.Throws<ArgumentException>(() => TraceHeaders.Create("", "b"));
    }

    [Fact]
    public void The_hmac_is_hmac_sha1_of_the_info_text()
    {
        var expected = Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(Key), Encoding.UTF8.GetBytes(Info)));
        Assert.Equal(expected, TraceHeaders.Sign(Info, Key));
    }
}
