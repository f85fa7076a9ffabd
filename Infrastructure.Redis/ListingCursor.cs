using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Profiler.Storage;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// The opaque cursor of a Redis listing (contract decision D1): the sort key of the last trace of a page (its earliest
/// point's ticks, <see cref="PointSummary.NoTime"/> for none, and its base id) with a check value, base64url-encoded.
/// </summary>
/// <remarks>
/// The check value (the first <see cref="CheckLength"/> bytes of a SHA-256 over a label and the position) is no
/// secret: it tells a cursor this driver made from anything else — garbage, another driver's cursor, an edited one —
/// so that such a cursor is a <see cref="FormatException"/> instead of silently starting somewhere. Cursors stay valid
/// across processes and stores (a command-line listing pages by passing the last cursor to the next run).
/// </remarks>
internal static class ListingCursor
{
    private const int CheckLength = 8;
    private static readonly byte[] Label = "profiler/redis/cursor/1\n"u8.ToArray();

    /// <summary>The cursor that resumes a listing after the trace <paramref name="baseId"/> with the given sort ticks.</summary>
    public static string Format(long ticks, string baseId)
    {
        var position = Encoding.UTF8.GetBytes(ticks.ToString(CultureInfo.InvariantCulture) + "|" + baseId);
        var bytes = new byte[position.Length + CheckLength];
        position.CopyTo(bytes, 0);
        Check(position).CopyTo(bytes.AsSpan(position.Length));
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>
    /// The position a cursor of <see cref="Format"/> names; (0, null) for no cursor (the first page). Anything else
    /// throws <see cref="FormatException"/> naming the cursor (shortened).
    /// </summary>
    public static (long Ticks, string? BaseId) Parse(string? cursor)
    {
        if (cursor is null) return (0, null);
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            throw NotOurs(cursor);
        }
        // Only the canonical encoding: two texts never name the same cursor, so an edited one is never accepted.
        if (bytes.Length <= CheckLength || Base64Url.EncodeToString(bytes) != cursor) throw NotOurs(cursor);
        var position = bytes.AsSpan(0, bytes.Length - CheckLength);
        if (!Check(position).SequenceEqual(bytes.AsSpan(position.Length))) throw NotOurs(cursor);

        var text = Encoding.UTF8.GetString(position);
        var bar = text.IndexOf('|');
        if (bar <= 0
            || !long.TryParse(text.AsSpan(0, bar), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ticks)
            || ticks < PointSummary.NoTime
            || !TracePointRules.IsSafeId(text[(bar + 1)..]))
            throw NotOurs(cursor);
        return (ticks, text[(bar + 1)..]);
    }

    private static byte[] Check(ReadOnlySpan<byte> position)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var input = new byte[Label.Length + position.Length];
        Label.CopyTo(input, 0);
        position.CopyTo(input.AsSpan(Label.Length));
        SHA256.HashData(input, hash);
        return hash[..CheckLength].ToArray();
    }

    private static FormatException NotOurs(string cursor) =>
        new($"cursor '{TracePointRules.Show(cursor)}' is not one this Redis store gave out: pass the NextCursor of a " +
            "page this store listed, or no cursor for the first page.");
}
