namespace Profiler.Testing;

/// <summary>
/// Waits for something a test caused (a fault taking effect, a key expiring, a background job running) by polling
/// until it holds. The deadline is generous for a loaded 2-core machine: it only turns "never" into a failure that
/// says what was waited for, and a passing run waits no longer than the condition takes. Tests wait with this instead
/// of sleeping for a time and assuming the thing happened in it.
/// </summary>
public static class Waiting
{
    /// <summary>The default deadline: 120 s.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Returns once <paramref name="condition"/> holds; throws a <see cref="TimeoutException"/> naming
    /// <paramref name="what"/> (and <paramref name="state"/>, when given, as seen last) after <paramref name="patience"/>
    /// (default <see cref="Patience"/>).
    /// </summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? patience = null, Func<string>? state = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, patience, state);

    /// <inheritdoc cref="UntilAsync(Func{bool}, string, TimeSpan?, Func{string}?)"/>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? patience = null, Func<string>? state = null)
    {
        var limit = patience ?? Patience;
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Waited {limit.TotalSeconds:0} s for {what}" + (state is null ? "." : $"; last seen: {state()}."));
            await Task.Delay(Poll);
        }
    }
}
