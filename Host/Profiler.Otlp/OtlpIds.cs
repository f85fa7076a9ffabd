using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;

namespace Profiler.Otlp;

/// <summary>Trace and span ids between OTLP's bytes and OSProfiler's texts (docs/otlp.md, "Ids").</summary>
public static class OtlpIds
{
    /// <summary>Bytes in an OTLP trace id: 16.</summary>
    public const int TraceIdLength = 16;

    /// <summary>Bytes in an OTLP span id: 8.</summary>
    public const int SpanIdLength = 8;

    /// <summary>The UUID text (lower case, <c>8-4-4-4-12</c>) of a 16-byte trace id, bytes in order.</summary>
    public static string ToUuid(ReadOnlySpan<byte> traceId) => new Guid(traceId, bigEndian: true).ToString("D");

    /// <summary>
    /// The 16 bytes of a base id that is a UUID in canonical lower-case text (so that <see cref="ToUuid"/> gives the
    /// same text back); false for any other text.
    /// </summary>
    public static bool TryFromUuid(string baseId, Span<byte> traceId)
    {
        if (baseId.Length != 36 || !Guid.TryParseExact(baseId, "D", out var guid)) return false;
        if (!guid.TryWriteBytes(traceId, bigEndian: true, out _)) return false;
        return string.Equals(ToUuid(traceId), baseId, StringComparison.Ordinal);
    }

    /// <summary>Lower-case hexadecimal, two digits a byte.</summary>
    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>
    /// The bytes of an id that is lower-case hexadecimal of exactly <paramref name="bytes"/>.Length bytes and not all
    /// zero (so that <see cref="ToHex"/> gives the same text back); false for any other text.
    /// </summary>
    public static bool TryFromHex(string id, Span<byte> bytes)
    {
        if (id.Length != bytes.Length * 2) return false;
        foreach (var c in id)
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        Convert.FromHexString(id, bytes, out _, out _);
        return bytes.ContainsAnyExcept((byte)0);
    }

    /// <summary>The first <paramref name="bytes"/>.Length bytes of the SHA-256 of a text id: a stable id for a text that has no OTLP form.</summary>
    public static void Hash(string id, Span<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(id), hash);
        hash[..bytes.Length].CopyTo(bytes);
        if (!bytes.ContainsAnyExcept((byte)0)) bytes[^1] = 1;
    }

    internal static ByteString Bytes(ReadOnlySpan<byte> bytes) => ByteString.CopyFrom(bytes);
}
