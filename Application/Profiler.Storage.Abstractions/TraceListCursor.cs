using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Profiler.Storage;

/// <summary>
/// Listing cursors as the contract wants them (<see cref="TraceListQuery.Cursor"/>): opaque to callers, stable across
/// processes, and checked, so that a cursor the driver did not give out (garbage, another driver's, edited by hand) is a
/// <see cref="FormatException"/> instead of a page from somewhere else. A cursor holds where the previous page ended: the
/// last trace's position in the listing order (its listing timestamp, in whatever text form the driver sorts by) and
/// its base id.
/// </summary>
/// <remarks>
/// The form is <c>c1.&lt;position&gt;.&lt;base id&gt;.&lt;check&gt;</c>, each part base64url, the check 8 bytes of
/// SHA-256 over the driver's name and the two parts. The check catches mistakes, not attackers: anyone can compute
/// it, and a cursor only ever selects where a listing resumes.
/// </remarks>
public static class TraceListCursor
{
    private const string Prefix = "c1.";
    private const int CheckBytes = 8;

    /// <summary>The cursor of the page after the trace at <paramref name="position"/> with <paramref name="baseId"/>.</summary>
    /// <param name="driver">The driver's name (<see cref="ITraceStoreDriver.Name"/>): another driver's cursors fail its check.</param>
    /// <param name="position">The last listed trace's sort key, e.g. its timestamp text.</param>
    /// <param name="baseId">The last listed trace's base id.</param>
    public static string Create(string driver, string position, string baseId)
    {
        ArgumentException.ThrowIfNullOrEmpty(driver);
        ArgumentNullException.ThrowIfNull(position);
        ArgumentNullException.ThrowIfNull(baseId);
        var body = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(position)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(baseId));
        return Prefix + body + "." + Check(driver, body);
    }

    /// <summary>Reads a cursor made by <see cref="Create"/> for the same <paramref name="driver"/>.</summary>
    /// <param name="driver">The driver's name, as given to <see cref="Create"/>.</param>
    /// <param name="cursor">The cursor a caller passed.</param>
    /// <param name="position">The position it holds.</param>
    /// <param name="baseId">The base id it holds.</param>
    /// <returns>False for any text <see cref="Create"/> did not make for this driver.</returns>
    public static bool TryParse(string driver, string? cursor, out string position, out string baseId)
    {
        ArgumentException.ThrowIfNullOrEmpty(driver);
        position = baseId = "";
        if (cursor is null || !cursor.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = cursor[Prefix.Length..].Split('.');
        if (parts.Length != 3 || !string.Equals(Check(driver, parts[0] + "." + parts[1]), parts[2], StringComparison.Ordinal))
            return false;
        if (Decode(parts[0]) is not { } p || Decode(parts[1]) is not { } b) return false;
        (position, baseId) = (p, b);
        return true;
    }

    /// <summary>Reads a cursor made by <see cref="Create"/>, or throws <see cref="NotGivenOut"/>'s exception.</summary>
    /// <param name="driver">The driver's name, as given to <see cref="Create"/>.</param>
    /// <param name="cursor">The cursor a caller passed.</param>
    /// <exception cref="FormatException">The cursor is not one <see cref="Create"/> made for this driver.</exception>
    public static (string Position, string BaseId) Parse(string driver, string cursor) =>
        TryParse(driver, cursor, out var position, out var baseId) ? (position, baseId) : throw NotGivenOut(driver, cursor);

    /// <summary>
    /// The error for a cursor the driver did not give out, naming it (shortened, see <see cref="TracePointRules.Show"/>)
    /// and what to pass instead. Drivers also throw it when a well-formed cursor holds a position they cannot use.
    /// </summary>
    /// <param name="driver">The driver's name.</param>
    /// <param name="cursor">The cursor a caller passed.</param>
    public static FormatException NotGivenOut(string driver, string? cursor) =>
        new($"cursor '{TracePointRules.Show(cursor)}' is not one the {driver} store gave out: pass the next cursor of the page before, or none for the first page");

    private static string? Decode(string part)
    {
        try
        {
            var bytes = Base64Url.DecodeFromChars(part);
            // Only the canonical encoding, so that no edited text names the same cursor.
            return Base64Url.EncodeToString(bytes) == part ? new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes) : null;
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

    private static string Check(string driver, string body)
    {
        var input = Encoding.UTF8.GetBytes("profiler list cursor\n" + driver + "\n" + body);
        return Base64Url.EncodeToString(SHA256.HashData(input).AsSpan(0, CheckBytes));
    }
}
