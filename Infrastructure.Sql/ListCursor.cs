using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// The SQL driver's listing cursor: where the previous page ended, the last trace's listing timestamp and base id.
/// Opaque to callers: <c>sql1.&lt;timestamp&gt;.&lt;base id&gt;.&lt;check&gt;</c>, both values base64url, the check a
/// hash of them, so that a cursor this driver did not give out (garbage, another driver's, edited) is a
/// <see cref="FormatException"/> (contract decision D1) rather than a page from somewhere else.
/// </summary>
internal static class ListCursor
{
    private const string Prefix = "sql1.";
    private static readonly byte[] Label = "Profiler.Infrastructure.Sql list cursor\n"u8.ToArray();

    /// <summary>The cursor of the page after the trace listed at <paramref name="timestamp"/> with <paramref name="baseId"/>.</summary>
    public static string Encode(string timestamp, string baseId)
    {
        var body = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(timestamp)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(baseId));
        return Prefix + body + "." + Check(body);
    }

    /// <summary>
    /// The position a cursor from <see cref="Encode"/> holds; nulls for no cursor (the first page). Throws
    /// <see cref="FormatException"/> naming the cursor (shortened) for any other text.
    /// </summary>
    public static (string? Timestamp, string? BaseId) Parse(string? cursor)
    {
        if (cursor is null) return (null, null);
        if (cursor.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var parts = cursor[Prefix.Length..].Split('.');
            if (parts.Length == 3 && Check(parts[0] + "." + parts[1]) == parts[2]
                && Decode(parts[0]) is { } timestamp && Decode(parts[1]) is { } baseId)
                return (timestamp, baseId);
        }
        throw new FormatException(
            $"cursor '{TracePointRules.Show(cursor)}' is not one this SQL store gave out: pass the NextCursor of a page this store listed, or none for the first page.");
    }

    private static string? Decode(string part)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(part));
        }
        catch (FormatException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string Check(string body)
    {
        var bytes = new byte[Label.Length + Encoding.UTF8.GetByteCount(body)];
        Label.CopyTo(bytes, 0);
        Encoding.UTF8.GetBytes(body, bytes.AsSpan(Label.Length));
        return Base64Url.EncodeToString(SHA256.HashData(bytes).AsSpan(0, 6));
    }
}
