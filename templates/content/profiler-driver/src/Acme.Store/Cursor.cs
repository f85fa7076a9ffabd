using System.Security.Cryptography;
using System.Text;
using Profiler.Domain;
using Profiler.Storage;

namespace Acme.Store;

/// <summary>
/// D1: the listing cursor, opaque to callers: <c>acme-store1.&lt;base64url(timestamp \n base_id)&gt;.&lt;check&gt;</c>,
/// where the check is the first 8 bytes of a SHA-256 of the rest. Anything else (garbage, another driver's cursor, a
/// tampered one) is a <see cref="FormatException"/> naming it. A backend with its own paging token can wrap that
/// token the same way; keep the check, so a tampered cursor never reaches the backend.
/// </summary>
internal static class Cursor
{
    private const string Prefix = AcmeStoreDriver.Scheme + "1.";

    public static string Make(TraceTimestamp timestamp, string baseId)
    {
        var body = Base64Url(Encoding.UTF8.GetBytes($"{timestamp}\n{baseId}"));
        return $"{Prefix}{body}.{Check(body)}";
    }

    public static (TraceTimestamp, string) Parse(string cursor)
    {
        var parts = cursor.StartsWith(Prefix, StringComparison.Ordinal) ? cursor[Prefix.Length..].Split('.') : [];
        if (parts.Length == 2 && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Check(parts[0])), Encoding.ASCII.GetBytes(parts[1]))
            && FromBase64Url(parts[0]) is { } bytes)
        {
            var text = Encoding.UTF8.GetString(bytes).Split('\n');
            if (text.Length == 2 && TraceTimestamp.TryParse(text[0], out var timestamp) && TracePointRules.IsSafeId(text[1]))
                return (timestamp, text[1]);
        }
        throw new FormatException(
            $"Cursor '{TracePointRules.Show(cursor)}' was not given out by the {AcmeStoreDriver.Scheme} driver: pass the next cursor of the page before, or none for the first page.");
    }

    private static string Check(string body) =>
        Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(AcmeStoreDriver.Scheme + "-cursor\n" + body))[..8]);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[]? FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        s += new string('=', (4 - s.Length % 4) % 4);
        try
        {
            return Convert.FromBase64String(s);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
