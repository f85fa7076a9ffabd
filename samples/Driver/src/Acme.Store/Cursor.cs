using Profiler.Domain;
using Profiler.Storage;

namespace Acme.Store;

/// <summary>
/// D1: the listing cursor, opaque to callers, made and checked by the contract's <see cref="TraceListCursor"/>: the
/// position of the last listed trace (its timestamp and base id) with a check that names this driver, so that anything
/// else (garbage, another driver's cursor, a tampered one) is a <see cref="FormatException"/> naming it. A backend with
/// its own paging token can pass that token as the position.
/// </summary>
internal static class Cursor
{
    public static string Make(TraceTimestamp timestamp, string baseId) =>
        TraceListCursor.Create(AcmeStoreDriver.Scheme, timestamp.ToString(), baseId);

    public static (TraceTimestamp, string) Parse(string cursor)
    {
        var (position, baseId) = TraceListCursor.Parse(AcmeStoreDriver.Scheme, cursor);
        return TraceTimestamp.TryParse(position, out var timestamp) && TracePointRules.IsSafeId(baseId)
            ? (timestamp, baseId)
            : throw TraceListCursor.NotGivenOut(AcmeStoreDriver.Scheme, cursor);
    }
}
