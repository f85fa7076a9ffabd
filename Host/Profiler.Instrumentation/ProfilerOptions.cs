using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Storage;

namespace Profiler.Instrumentation;

/// <summary>
/// Instrumentation settings, read by <see cref="ProfilerOptions.FromConfiguration"/> from the <c>Profiler</c>
/// configuration section (PascalCase keys, e.g. <c>Profiler:HmacKeys</c>) or from an OpenStack INI file's
/// <c>[profiler]</c> or <c>[osprofiler]</c> section (OSProfiler's snake_case keys, e.g. <c>hmac_keys</c>; docs/osprofiler-formats.md §6).
/// </summary>
public sealed class ProfilerOptions
{
    /// <summary>Largest <see cref="BufferSize"/>: 10 000 000.</summary>
    public const int MaxBufferSize = 10_000_000;

    /// <summary>Longest <see cref="SocketTimeout"/> and <see cref="FlushTimeout"/>, in seconds: 3600 (one hour).</summary>
    public const int MaxTimeoutSeconds = 3600;

    /// <summary>The configuration sections read, first match wins per key.</summary>
    public static readonly IReadOnlyList<string> SectionNames = ["Profiler", "osprofiler"];

    /// <summary>Trace requests that carry a valid signed trace header (<c>enabled</c>). Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Keys a trace header may be signed with (<c>hmac_keys</c>, comma-separated, or a list). Default empty: then no
    /// request is traced. Secrets: never logged or shown in errors.
    /// </summary>
    public IReadOnlyList<string> HmacKeys { get; set; } = [];

    /// <summary>
    /// Where points are stored (<c>connection_string</c>), e.g. <c>redis://host:6379</c>. Default null. When set,
    /// <c>AddProfiler</c> opens it at start with the driver serving its scheme (see <c>AddTraceStoreDriver</c>), with
    /// <see cref="ToDriverSettings"/>; an <see cref="ITraceStore"/> the application registers itself wins.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>Keep an index of traces with errors (<c>filter_error_trace</c>). Default false.</summary>
    public bool FilterErrorTrace { get; set; }

    /// <summary>
    /// Retention (<c>ttl</c>): how long stored traces are kept after their last write, for drivers that honour it
    /// (<see cref="DriverSettings.Ttl"/>; e.g. Redis expires the keys, the web shell prunes SQL stores). A duration
    /// <c>&lt;n&gt;[s|m|h|d]</c> or plain seconds (<see cref="Domain.RetentionPeriod"/>). Default null: kept forever, as OSProfiler.
    /// </summary>
    public TimeSpan? Ttl { get; set; }

    /// <summary>Store network timeout (<c>socket_timeout</c>, seconds: above 0, at most <see cref="MaxTimeoutSeconds"/>). Default 0.1 s.</summary>
    public TimeSpan SocketTimeout { get; set; } = TimeSpan.FromSeconds(0.1);

    /// <summary>Redis Sentinel master name (<c>sentinel_service_name</c>). Default <c>mymaster</c>.</summary>
    public string SentinelServiceName { get; set; } = "mymaster";

    /// <summary>Project stored with this service's points (<c>project</c>, at most 255 printable characters). Default null (the store's default).</summary>
    public string? Project { get; set; }

    /// <summary>Service name stored with this service's points (<c>service</c>, at most 255 printable characters). Default null (the store's default).</summary>
    public string? Service { get; set; }

    /// <summary>Host put into <c>info.host</c> (<c>host</c>, at most 255 printable characters). Default null: the machine name.</summary>
    public string? Host { get; set; }

    /// <summary>
    /// Most points waiting to be stored before new ones are dropped (<c>buffer_size</c>). Default 30 000: a 10-second
    /// store outage at 1,500 points/s, plus the longest retry gap after it (<see cref="TraceNotifierOptions.MaxRetryDelay"/>),
    /// fills 18,000 (see <see cref="TraceNotifierOptions.BufferSize"/>).
    /// </summary>
    public int BufferSize { get; set; } = TraceNotifierOptions.DefaultBufferSize;

    /// <summary>Most points per write (<c>batch_size</c>, 1 to 10 000). Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// How long shutdown waits for buffered points (<c>flush_timeout</c>, seconds: 0 to <see cref="MaxTimeoutSeconds"/>;
    /// configuration takes above 0), in all: the host's stop and the notifier's disposal share this one deadline. Default 5 s.
    /// </summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <see cref="System.Diagnostics.ActivitySource"/> names whose activities become trace points inside a trace
    /// (<c>activity_sources</c>, comma-separated, or a list). Default empty: none.
    /// </summary>
    public IReadOnlyList<string> ActivitySources { get; set; } = [];

    /// <summary>Values configuration held that could not be read (see <see cref="Bind"/>); <see cref="ProfilerOptionsValidator"/> reports them.</summary>
    internal List<string> ConfigurationErrors { get; } = [];

    /// <summary>
    /// The settings a storage driver opens the store with: <see cref="SocketTimeout"/>, <see cref="SentinelServiceName"/>,
    /// <see cref="FilterErrorTrace"/>, <see cref="Project"/>, <see cref="Service"/>, <see cref="Host"/>, <see cref="Ttl"/> and
    /// <paramref name="loggerFactory"/> (default: nowhere). The one place <c>[profiler]</c> keys become driver settings.
    /// </summary>
    public DriverSettings ToDriverSettings(ILoggerFactory? loggerFactory = null) => new()
    {
        SocketTimeout = SocketTimeout,
        SentinelServiceName = SentinelServiceName,
        FilterErrorTrace = FilterErrorTrace,
        Project = Project,
        Service = Service,
        Host = Host,
        Ttl = Ttl,
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance,
    };

    /// <summary>The notifier's settings.</summary>
    public TraceNotifierOptions ToNotifierOptions() => new()
    {
        BufferSize = BufferSize,
        BatchSize = BatchSize,
        FlushTimeout = FlushTimeout,
        Project = Project,
        Service = Service,
    };

    /// <summary>
    /// Reads the options from <paramref name="configuration"/>'s <c>Profiler</c> and <c>osprofiler</c> sections (an INI
    /// file's <c>[profiler]</c> is the same section: keys are case-insensitive). Each setting may be spelled in
    /// PascalCase or snake_case. Booleans accept true/false, yes/no, on/off, 1/0 (as oslo.config). Throws
    /// <see cref="FormatException"/> naming each bad key, its value (never an HMAC key) and what is accepted.
    /// <c>services.AddProfiler(configuration)</c> reads the same way, and reports bad values when the host starts.
    /// </summary>
    public static ProfilerOptions FromConfiguration(IConfiguration configuration)
    {
        var o = new ProfilerOptions();
        var errors = new List<string>();
        o.Bind(configuration, errors);
        if (errors.Count > 0) throw new FormatException(string.Join(" ", errors));
        return o;
    }

    /// <summary>
    /// Sets the properties <paramref name="configuration"/> holds a value for; a value that cannot be read leaves its
    /// property as it was and adds a sentence naming the key, the value and what is accepted to <paramref name="errors"/>.
    /// </summary>
    internal void Bind(IConfiguration configuration, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // Children, not GetSection: their keys keep the file's spelling, so errors name the key as the user wrote it.
        var children = configuration.GetChildren().ToList();
        var sections = SectionNames
            .SelectMany(name => children.Where(c => string.Equals(c.Key, name, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        void Read<T>(string pascal, string snake, Func<IConfigurationSection, T> parse, Action<T> set)
        {
            if (Find(sections, pascal, snake) is not { } section) return;
            try { set(parse(section)); }
            catch (FormatException e) { errors.Add(e.Message); }
        }
        Read("Enabled", "enabled", Boolean, v => Enabled = v);
        Read("HmacKeys", "hmac_keys", List, v => HmacKeys = v);
        Read("ConnectionString", "connection_string", Connection, v => ConnectionString = v);
        Read("FilterErrorTrace", "filter_error_trace", Boolean, v => FilterErrorTrace = v);
        Read("SocketTimeout", "socket_timeout", Seconds, v => SocketTimeout = v);
        Read("Ttl", "ttl", Retention, v => Ttl = v);
        Read("SentinelServiceName", "sentinel_service_name", s => Text(s, allowEmpty: false)!, v => SentinelServiceName = v);
        Read("Project", "project", s => Text(s), v => Project = v);
        Read("Service", "service", s => Text(s), v => Service = v);
        Read("Host", "host", s => Text(s), v => Host = v);
        Read("BufferSize", "buffer_size", s => Integer(s, 1, MaxBufferSize), v => BufferSize = v);
        Read("BatchSize", "batch_size", s => Integer(s, 1, RecordTracePointsCommand.MaxBatchSize), v => BatchSize = v);
        Read("FlushTimeout", "flush_timeout", Seconds, v => FlushTimeout = v);
        Read("ActivitySources", "activity_sources", List, v => ActivitySources = v);
    }

    /// <summary>
    /// Checks the values (however they were set); throws <see cref="ArgumentException"/> naming each bad property and
    /// its value (never an HMAC key). <c>AddProfiler</c> runs the same checks through <see cref="ProfilerOptionsValidator"/>.
    /// </summary>
    public void Validate()
    {
        var errors = ProfilerOptionsValidator.Check(this);
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors));
    }

    private static IConfigurationSection? Find(List<IConfigurationSection> sections, string pascal, string snake)
    {
        foreach (var section in sections)
            foreach (var child in section.GetChildren())
                if (string.Equals(child.Key, pascal, StringComparison.OrdinalIgnoreCase)
                    || string.Equals(child.Key, snake, StringComparison.OrdinalIgnoreCase))
                    return child;
        return null;
    }

    private static string Unquote(string value)
    {
        var v = value.Trim();
        return v.Length >= 2 && (v[0] == '"' && v[^1] == '"' || v[0] == '\'' && v[^1] == '\'') ? v[1..^1] : v;
    }

    private static FormatException Error(IConfigurationSection s, string accepted) =>
        new($"Profiler setting '{s.Path}' = '{Show(s.Value)}' is not valid: {accepted}.");

    private static string Show(string? value) => value is null ? "" : TracePointRules.Show(value);

    private static bool Boolean(IConfigurationSection s) => Unquote(s.Value ?? "").ToLowerInvariant() switch
    {
        "true" or "yes" or "on" or "1" => true,
        "false" or "no" or "off" or "0" => false,
        _ => throw Error(s, "use true or false (also yes/no, on/off, 1/0)"),
    };

    private static TimeSpan Seconds(IConfigurationSection s)
    {
        var text = Unquote(s.Value ?? "");
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            && double.IsFinite(seconds) && seconds > 0 && seconds <= MaxTimeoutSeconds)
            return TimeSpan.FromSeconds(seconds);
        throw Error(s, $"use a number of seconds above 0 and at most {MaxTimeoutSeconds}, e.g. 0.1");
    }

    private static TimeSpan? Retention(IConfigurationSection s)
    {
        var text = Unquote(s.Value ?? "");
        if (text.Length == 0) return null;
        if (Domain.RetentionPeriod.TryParse(text, out var period)) return period;
        throw Error(s, "use " + Domain.RetentionPeriod.Expected);
    }

    private static int Integer(IConfigurationSection s, int min, int max)
    {
        var text = Unquote(s.Value ?? "");
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
        throw Error(s, $"use a whole number from {min} to {max}");
    }

    private static string? Text(IConfigurationSection s, bool allowEmpty = true)
    {
        var text = Unquote(s.Value ?? "");
        if (!TracePointRules.IsLabel(text)) throw Error(s, $"use at most {TracePointRules.MaxNameLength} printable characters");
        if (text.Length == 0 && !allowEmpty) throw Error(s, "use a non-empty name");
        return text.Length == 0 ? null : text;
    }

    private static string? Connection(IConfigurationSection s)
    {
        var text = Unquote(s.Value ?? "");
        if (text.Length == 0) return null;
        if (Domain.ConnectionString.TryParse(text, out _, out var error)) return text;
        throw new FormatException($"Profiler setting '{s.Path}' is not valid: {error}");
    }

    private static IReadOnlyList<string> List(IConfigurationSection s)
    {
        var items = s.Value is not null
            ? Unquote(s.Value).Split(',')
            : s.GetChildren().Select(c => c.Value ?? "").ToArray();
        return items.Select(i => i.Trim()).Where(i => i.Length > 0).ToArray();
    }
}
