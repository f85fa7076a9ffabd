namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Reads the MessagePack replies of the listing's scripts (<c>SummaryRows.lua</c>, <c>EarliestTimestamps.lua</c>), as
/// Redis's <c>cmsgpack.pack</c> writes them: arrays of arrays, strings and false (a missing value). A script sends its
/// many small values as one string this way, so that the client reads one reply rather than a reply object per value.
/// Anything else is a <see cref="FormatException"/> naming the script and the byte.
/// </summary>
internal static class PackedReply
{
    /// <summary>The length of the array at <paramref name="at"/>, moving past its header.</summary>
    public static int Array(ReadOnlySpan<byte> reply, ref int at, string script)
    {
        if (at >= reply.Length) throw Unexpected(script, reply, at);
        var head = reply[at++];
        if (head is >= 0x90 and <= 0x9f) return head & 0x0f;
        var size = head switch { 0xdc => 2, 0xdd => 4, _ => throw Unexpected(script, reply, at - 1) };
        var length = Big(reply, ref at, size, script);
        return length <= int.MaxValue ? (int)length : throw Unexpected(script, reply, at);
    }

    /// <summary>
    /// The place of the string at <paramref name="at"/> in <paramref name="reply"/>, moving past it; length -1 for false
    /// or nil (a missing value).
    /// </summary>
    public static (int Start, int Length) String(ReadOnlySpan<byte> reply, ref int at, string script)
    {
        if (at >= reply.Length) throw Unexpected(script, reply, at);
        var head = reply[at++];
        long length;
        if (head is >= 0xa0 and <= 0xbf) length = head & 0x1f;
        else if (head is 0xc2 or 0xc0) return (at, -1);
        else
        {
            // str8/16/32 (and bin8/16/32, which older cmsgpack versions write for strings).
            var size = head switch { 0xd9 or 0xc4 => 1, 0xda or 0xc5 => 2, 0xdb or 0xc6 => 4, _ => throw Unexpected(script, reply, at - 1) };
            length = Big(reply, ref at, size, script);
        }
        if (length > reply.Length - at) throw Unexpected(script, reply, at);
        var start = at;
        at += (int)length;
        return (start, (int)length);
    }

    /// <summary>A big-endian unsigned number of <paramref name="size"/> bytes at <paramref name="at"/>, moving past it.</summary>
    private static long Big(ReadOnlySpan<byte> reply, ref int at, int size, string script)
    {
        if (size > reply.Length - at) throw Unexpected(script, reply, at);
        long value = 0;
        for (var i = 0; i < size; i++) value = (value << 8) | reply[at++];
        return value;
    }

    public static FormatException Unexpected(string script, ReadOnlySpan<byte> reply, int at) =>
        new($"A reply of {script} is not the MessagePack the script writes, at byte {at} of {reply.Length}.");
}
