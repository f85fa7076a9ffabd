using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Otlp;

/// <summary>
/// Forwards points as OTLP spans: <c>otlp+http://host[:port][/path]</c> (port 4318, path <c>/v1/traces</c> by
/// default) or <c>otlp+https://…</c>. Write-only, as OSProfiler's <c>otlp</c> driver: listing and reading throw a
/// <see cref="TraceStoreException"/> saying so. Query option <c>timeout</c>: seconds per request (default 10). A password
/// (<c>otlp+http://:KEY@host</c>) is sent as <c>Authorization: Bearer KEY</c>, e.g. <c>profiler serve</c>'s ingest key.
/// A request answered 413 is split into halves under derived batch ids; points the endpoint will never take (one span
/// still too large, a 400, spans a partial success names) are a <see cref="TracePointsRefusedException"/>, other
/// failures a retried <see cref="TraceStoreException"/> (docs/otlp.md).
/// </summary>
public sealed class OtlpDriver : ITraceStoreDriver
{
    public string Name => "otlp";
    public IReadOnlyList<string> Schemes { get; } = ["otlp+http", "otlp+https"];

    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) =>
        new OtlpTraceStore(OtlpEndpoint.From(connectionString), settings);
}

/// <summary>Where spans are posted.</summary>
internal sealed record OtlpEndpoint(Uri Uri, TimeSpan Timeout, string Shown, string? BearerToken = null)
{
    /// <summary>The connection string it was made from (its password is scrubbed from what the endpoint answers).</summary>
    public ConnectionString? Source { get; init; }

    public const int DefaultPort = 4318;
    public const string DefaultPath = "/v1/traces";

    public static OtlpEndpoint From(ConnectionString cs)
    {
        if (cs.Hosts.Count != 1)
            throw new FormatException($"{cs}: give exactly one host, as otlp+http://host[:port][/path] (e.g. otlp+http://127.0.0.1:4318)");
        var host = cs.Host!.Value;
        var scheme = cs.Scheme == "otlp+https" ? "https" : "http";
        var path = string.IsNullOrEmpty(cs.Path) ? DefaultPath : "/" + cs.Path.TrimStart('/');
        var hostText = host.Host.Contains(':', StringComparison.Ordinal) && !host.Host.StartsWith('[') ? $"[{host.Host}]" : host.Host;
        if (!Uri.TryCreate($"{scheme}://{hostText}:{host.Port ?? DefaultPort}{path}", UriKind.Absolute, out var uri))
            throw new FormatException($"{cs}: '{host.Host}' and path '{path}' do not make an http URL; expected otlp+http://host[:port][/path]");
        var timeout = cs.GetSeconds("timeout") ?? TimeSpan.FromSeconds(10);
        if (timeout <= TimeSpan.Zero) throw new FormatException($"{cs}: timeout must be a positive number of seconds");
        return new OtlpEndpoint(uri, timeout, uri.GetLeftPart(UriPartial.Path), string.IsNullOrEmpty(cs.Password) ? null : cs.Password) { Source = cs };
    }
}
