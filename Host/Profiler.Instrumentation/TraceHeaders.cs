using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Profiler.Storage;

namespace Profiler.Instrumentation;

/// <summary>The two signed header values that carry a trace to another service (docs/osprofiler-formats.md §5).</summary>
/// <param name="Info"><c>X-Trace-Info</c>: URL-safe base64 (with <c>=</c> padding) of <c>{"base_id": …, "parent_id": …}</c>.</param>
/// <param name="Hmac"><c>X-Trace-HMAC</c>: lowercase hex HMAC-SHA1 of <paramref name="Info"/>'s text.</param>
public readonly record struct TraceHeaderValues(string Info, string Hmac)
{
    /// <summary>The two lines <c>X-Trace-Info: …</c> and <c>X-Trace-HMAC: …</c>, as <c>profiler trace headers</c> prints them.</summary>
    public string[] ToLines() => [$"{TraceHeaders.InfoHeader}: {Info}", $"{TraceHeaders.HmacHeader}: {Hmac}"];
}

/// <summary>What <see cref="TraceHeaders.Check"/> found in a pair of trace headers.</summary>
public enum TraceHeaderCheck
{
    /// <summary>Signed with a configured key and well formed: the trace continues.</summary>
    Valid,

    /// <summary>No (or an empty) <c>X-Trace-Info</c> header.</summary>
    MissingInfo,

    /// <summary><c>X-Trace-Info</c> without an <c>X-Trace-HMAC</c> header.</summary>
    MissingHmac,

    /// <summary>No HMAC keys are configured, so nothing can verify.</summary>
    NoKeys,

    /// <summary><c>X-Trace-HMAC</c> is not the signature of <c>X-Trace-Info</c> with any configured key.</summary>
    BadSignature,

    /// <summary>
    /// <c>X-Trace-Info</c> is too long (over 4096 characters), or signed but not URL-safe base64 of a
    /// <c>{"base_id", "parent_id"}</c> object with safe ids.
    /// </summary>
    MalformedInfo,
}

/// <summary>A trace continued from verified headers: the base id, the parent id and the key that matched.</summary>
/// <param name="BaseId">The caller's base id.</param>
/// <param name="ParentId">The caller's current trace id; the base id when the header had none.</param>
/// <param name="HmacKey">The configured key that verified the header (use it to sign onward calls).</param>
public sealed record TraceContinuation(string BaseId, string ParentId, string HmacKey)
{
    /// <inheritdoc />
    public override string ToString() => $"TraceContinuation {{ BaseId = {BaseId}, ParentId = {ParentId}, HmacKey = *** }}";
}

/// <summary>
/// OSProfiler's signed trace headers (<c>osprofiler.web.get_trace_id_headers</c> and the middleware's check): the
/// JSON text is exactly what Python's <c>json.dumps</c> writes (<c>", "</c> and <c>": "</c> separators), so both
/// sides compute the same HMAC.
/// </summary>
public static class TraceHeaders
{
    /// <summary><c>X-Trace-Info</c>.</summary>
    public const string InfoHeader = "X-Trace-Info";

    /// <summary><c>X-Trace-HMAC</c>.</summary>
    public const string HmacHeader = "X-Trace-HMAC";

    private const int HmacHexLength = 40;
    private const int MaxInfoLength = 4096;

    /// <summary>
    /// Signs <c>{"base_id": baseId, "parent_id": parentId}</c> with <paramref name="hmacKey"/>. <paramref name="baseId"/>
    /// defaults to a new UUID and <paramref name="parentId"/> to the base id (as OSProfiler after <c>init</c>). Ids must
    /// pass <see cref="TracePointRules.IsSafeId"/>; the key must not be empty. This is what
    /// <c>profiler trace headers --hmac-key KEY [--base-id ID] [--parent-id ID]</c> prints.
    /// </summary>
    public static TraceHeaderValues Create(string hmacKey, string? baseId = null, string? parentId = null)
    {
        if (string.IsNullOrEmpty(hmacKey)) throw new ArgumentException("the HMAC key is empty: give the key the receiving services are configured with", nameof(hmacKey));
        baseId ??= TraceProfiler.NewId();
        parentId ??= baseId;
        if (!TracePointRules.IsSafeId(baseId)) throw new ArgumentException(TracePointRules.IdError("base id", baseId), nameof(baseId));
        if (!TracePointRules.IsSafeId(parentId)) throw new ArgumentException(TracePointRules.IdError("parent id", parentId), nameof(parentId));
        // Safe ids need no JSON escaping, so this is byte for byte Python's json.dumps({"base_id": …, "parent_id": …}).
        var json = $"{{\"base_id\": \"{baseId}\", \"parent_id\": \"{parentId}\"}}";
        var info = Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).Replace('+', '-').Replace('/', '_');
        return new TraceHeaderValues(info, Sign(info, hmacKey));
    }

    /// <summary>Signed headers continuing <paramref name="profiler"/>'s trace from its current scope; null when it has no HMAC key.</summary>
    public static TraceHeaderValues? Create(TraceProfiler profiler)
    {
        ArgumentNullException.ThrowIfNull(profiler);
        return profiler.HmacKey is { } key ? Create(key, profiler.BaseId, profiler.CurrentId) : null;
    }

    /// <summary>Lowercase hex HMAC-SHA1 of <paramref name="info"/>'s UTF-8 bytes keyed with <paramref name="hmacKey"/>'s.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms",
        Justification = "HMAC-SHA1 is OSProfiler's wire format for X-Trace-HMAC (docs/osprofiler-formats.md §5); Python services verify it. HMAC-SHA1 is not broken as a MAC.")]
    public static string Sign(string info, string hmacKey) =>
        Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(hmacKey), Encoding.UTF8.GetBytes(info)));

    /// <summary>
    /// Verifies headers against every key in <paramref name="hmacKeys"/> (each compared in constant time) and
    /// decodes them. Fails (returns false) for: a missing header or no keys, an HMAC that matches no key (it must be
    /// 40 lowercase hex digits; surrounding whitespace is ignored as OSProfiler does), text that is not URL-safe base64
    /// of a JSON object, an object without a string <c>base_id</c>, with keys other than <c>base_id</c> and
    /// <c>parent_id</c> (or either twice), or ids that are not safe (<see cref="TracePointRules.IsSafeId"/>).
    /// <see cref="Check"/> does the same and says why it failed.
    /// </summary>
    public static bool TryVerify(string? info, string? hmac, IReadOnlyList<string> hmacKeys, out TraceContinuation? continuation) =>
        Check(info, hmac, hmacKeys, out continuation) == TraceHeaderCheck.Valid;

    /// <summary>
    /// <see cref="TryVerify"/> with the reason: <see cref="TraceHeaderCheck.Valid"/> (and <paramref name="continuation"/>
    /// set) or why the headers were refused. The signature is checked before the info is decoded, so an unsigned
    /// <c>X-Trace-Info</c> is <see cref="TraceHeaderCheck.BadSignature"/> whatever it holds.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms",
        Justification = "HMAC-SHA1 is OSProfiler's wire format for X-Trace-HMAC (docs/osprofiler-formats.md §5); Python services verify it. HMAC-SHA1 is not broken as a MAC.")]
    public static TraceHeaderCheck Check(string? info, string? hmac, IReadOnlyList<string> hmacKeys, out TraceContinuation? continuation)
    {
        continuation = null;
        if (string.IsNullOrEmpty(info)) return TraceHeaderCheck.MissingInfo;
        if (string.IsNullOrEmpty(hmac)) return TraceHeaderCheck.MissingHmac;
        if (hmacKeys is null || hmacKeys.Count == 0) return TraceHeaderCheck.NoKeys;
        if (info.Length > MaxInfoLength) return TraceHeaderCheck.MalformedInfo;
        var given = hmac.Trim();
        if (given.Length != HmacHexLength) return TraceHeaderCheck.BadSignature;
        var givenBytes = MemoryMarshal.AsBytes(given.AsSpan());

        var infoBytes = Encoding.UTF8.GetBytes(info);
        Span<byte> mac = stackalloc byte[HMACSHA1.HashSizeInBytes];
        Span<char> expected = stackalloc char[HmacHexLength];
        string? matched = null;
        foreach (var key in hmacKeys)
        {
            if (string.IsNullOrEmpty(key)) continue;
            HMACSHA1.HashData(Encoding.UTF8.GetBytes(key), infoBytes, mac);
            Convert.TryToHexStringLower(mac, expected, out _);
            // Every key is checked, so the time taken does not tell which one matched.
            if (CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected), givenBytes)) matched ??= key;
        }
        if (matched is null) return TraceHeaderCheck.BadSignature;
        if (!TryDecode(info, out var baseId, out var parentId)) return TraceHeaderCheck.MalformedInfo;
        continuation = new TraceContinuation(baseId, parentId ?? baseId, matched);
        return TraceHeaderCheck.Valid;
    }

    private static bool TryDecode(string info, out string baseId, out string? parentId)
    {
        baseId = "";
        parentId = null;
        foreach (var c in info)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '=')) return false;
        var base64 = info.Replace('-', '+').Replace('_', '/');
        if (base64.Length % 4 != 0) return false;
        var bytes = new byte[base64.Length / 4 * 3];
        if (!Convert.TryFromBase64String(base64, bytes, out var length)) return false;
        try
        {
            var reader = new Utf8JsonReader(bytes.AsSpan(0, length), new JsonReaderOptions { MaxDepth = 2 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            string? b = null, p = null;
            bool seenBase = false, seenParent = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("base_id"u8) && !seenBase)
                {
                    seenBase = true;
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String) return false;
                    b = reader.GetString();
                }
                else if (reader.ValueTextEquals("parent_id"u8) && !seenParent)
                {
                    seenParent = true;
                    if (!reader.Read()) return false;
                    if (reader.TokenType == JsonTokenType.String) p = reader.GetString();
                    else if (reader.TokenType != JsonTokenType.Null) return false;
                }
                else return false;
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return false;
            if (!TracePointRules.IsSafeId(b) || (p is not null && !TracePointRules.IsSafeId(p))) return false;
            baseId = b!;
            parentId = p;
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string holding invalid UTF-8 or a lone surrogate escape ("\ud800").
            return false;
        }
    }
}
