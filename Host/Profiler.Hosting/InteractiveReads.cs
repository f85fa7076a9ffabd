using Profiler.Storage;

namespace Profiler.Hosting;

/// <summary>
/// Store settings for a person waiting on an answer (the <c>profiler</c> commands, the web shell): a network timeout of
/// <see cref="Timeout"/> instead of OSProfiler's 0.1 s <c>socket_timeout</c>, which stays the default of the profiled
/// service's own writes (<c>AddProfiler</c>). A connection string's own timeout option still wins
/// (<c>?socket_timeout=30</c> for Redis). SQL servers wait 30 s a command whatever these settings say, which a person
/// can wait for; their URLs raise it (<c>read_timeout</c> on MySQL/MariaDB, <c>command_timeout</c> on PostgreSQL,
/// <c>timeout</c> on SQLite). Both the Redis and the SQL drivers send a timed-out read once more before failing, and
/// the error names the option to raise (<c>socket_timeout</c>, <c>read_timeout</c>, …) and its value.
/// </summary>
public static class InteractiveReads
{
    /// <summary>The network timeout of interactive reads: 10 s.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <paramref name="settings"/> (or the defaults) with a <see cref="DriverSettings.SocketTimeout"/> of at least
    /// <see cref="Timeout"/>.
    /// </summary>
    /// <param name="settings">Settings from configuration or the command line; null for the defaults.</param>
    public static DriverSettings Apply(DriverSettings? settings)
    {
        settings ??= new DriverSettings();
        if (settings.SocketTimeout >= Timeout) return settings;
        return settings with { SocketTimeout = Timeout };
    }
}
