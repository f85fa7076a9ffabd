namespace Profiler.Hosting.Web;

/// <summary>Settings of the web shell (<c>profiler serve</c>).</summary>
public sealed class WebShellOptions
{
    /// <summary>Default <see cref="Urls"/>: loopback only.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5000";

    /// <summary>Default <see cref="MaxBodyBytes"/>: 10 MiB.</summary>
    public const long DefaultMaxBodyBytes = 10 * 1024 * 1024;

    /// <summary>The collector URL of the store to serve (COMPAT §2, §3, or <c>sqlite:///…</c>). Required.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Driver settings the store is opened with. Default: the driver defaults.</summary>
    public Profiler.Storage.DriverSettings? DriverSettings { get; init; }

    /// <summary>
    /// Folders searched for driver plugins. Default null: <see cref="Plugins.PluginCatalog.DefaultFolders"/>
    /// (<c>$PROFILER_PLUGINS_PATH</c>, then <c>plugins/</c> beside the executable).
    /// </summary>
    public IReadOnlyList<string>? PluginFolders { get; init; }

    /// <summary>
    /// Addresses Kestrel listens on, separated by <c>;</c>. Default <see cref="DefaultUrls"/> (loopback only);
    /// port 0 picks a free port (see <see cref="WebShell.ListeningUrls"/>).
    /// </summary>
    public string Urls { get; init; } = DefaultUrls;

    /// <summary>
    /// Addresses of the OTLP/gRPC receiver (<c>TraceService/Export</c>), separated by <c>;</c>, e.g.
    /// <c>http://127.0.0.1:4317</c>: cleartext HTTP/2 only, apart from <see cref="Urls"/>. Same ingest key and size limit
    /// as the HTTP API. Default null: no gRPC listener.
    /// </summary>
    public string? OtlpGrpcUrls { get; init; }

    /// <summary>
    /// Host names the shell answers (the request's <c>Host</c>, port ignored), separated by <c>;</c>; <c>*</c> for any.
    /// Default null: configuration <c>AllowedHosts</c> (e.g. environment variable <c>AllowedHosts</c>) if set; else,
    /// when every listener is loopback, only <see cref="LoopbackHosts"/> — a web page whose own domain a DNS server
    /// points at 127.0.0.1 (DNS rebinding) must not read, pin or delete traces through the browser —; else any. Behind
    /// a reverse proxy on the same machine that forwards its public <c>Host</c>, name that host here.
    /// </summary>
    public string? AllowedHosts { get; set; }

    /// <summary>The host names a loopback-only shell answers by default: <c>localhost;127.0.0.1;[::1]</c>.</summary>
    public const string LoopbackHosts = "localhost;127.0.0.1;[::1]";

    /// <summary>Largest request body <c>POST /api/v1/points</c> accepts, in bytes; larger is 413. Default 10 MiB.</summary>
    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>
    /// When set, <c>POST /api/v1/points</c> requires it in <c>X-Profiler-Ingest-Key</c> or
    /// <c>Authorization: Bearer</c> (compared in constant time; 401 otherwise). Default null: no key, anyone who can
    /// reach the listener may write. Falls back to configuration <c>Profiler:IngestKey</c>
    /// (e.g. environment variable <c>Profiler__IngestKey</c>). Never logged.
    /// </summary>
    public string? IngestKey { get; set; }

    /// <summary>
    /// Keys accepted for signed trace headers (COMPAT §5) by the trace-header middleware. Default empty:
    /// incoming trace headers are ignored. Falls back to configuration <c>Profiler:HmacKeys</c> (comma-separated).
    /// Never logged.
    /// </summary>
    public IReadOnlyList<string> HmacKeys { get; set; } = [];

    /// <summary>Seconds a client is told to wait (<c>Retry-After</c>) when the store is unreachable (503). Default 5.</summary>
    public int RetryAfterSeconds { get; init; } = 5;

    /// <summary>Traces per page on the list page and the list API when no <c>limit</c> is given. Default 50.</summary>
    public int DefaultPageSize { get; init; } = 50;

    /// <summary>Largest <c>limit</c> the list API and page accept. Default 1000.</summary>
    public int MaxPageSize { get; init; } = 1000;

    /// <summary>
    /// Most points read per trace to show its duration and error marker on the list page; a trace with more
    /// shows a lower bound. The exception types of a page's failed traces whose summary the store keeps are read within
    /// this many points for the whole page, shared among them. Default 20,000.
    /// </summary>
    public int MaxPointsPerListRow { get; init; } = 20_000;

    /// <summary>Time allowed for the store check of <c>GET /health</c>. Default 5 s.</summary>
    public TimeSpan HealthTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="PruneInterval"/>: 5 minutes.</summary>
    public static readonly TimeSpan DefaultPruneInterval = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Retention (<c>--ttl</c>): passed to the store as <see cref="Profiler.Storage.DriverSettings.Ttl"/>, and, when the
    /// store implements <see cref="Profiler.Storage.ITraceStorePruning"/>, traces whose newest point is older are pruned
    /// in the background every <see cref="PruneInterval"/>. Falls back to configuration <c>Profiler:Ttl</c>. Default null:
    /// traces are kept forever.
    /// </summary>
    public TimeSpan? Ttl { get; set; }

    /// <summary>Time between background prunes (<c>--prune-interval</c>). Default 5 minutes.</summary>
    public TimeSpan PruneInterval { get; init; } = DefaultPruneInterval;

    /// <summary>Delay before the first background prune after start. Default 10 s.</summary>
    public TimeSpan PruneFirstDelay { get; init; } = TimeSpan.FromSeconds(10);
}
