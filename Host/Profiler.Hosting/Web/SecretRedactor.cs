using Profiler.Domain;

namespace Profiler.Hosting.Web;

/// <summary>
/// Removes the shell's secrets from text before it is logged or answered: the store's password through
/// <see cref="ConnectionString.ScrubPassword"/> (the one password scrubber), then the ingest key and the HMAC keys.
/// </summary>
internal sealed class SecretRedactor
{
    /// <summary>Keys shorter than this are left: replacing them would mangle the text without hiding anything worth hiding (as the password rule).</summary>
    private const int MinSecretLength = 3;

    private readonly ConnectionString? _store;
    private readonly string[] _keys;

    public SecretRedactor(WebShellOptions options)
    {
        // An unparsable connection string never opened a store; there is no password of it to scrub.
        _store = ConnectionString.TryParse(options.ConnectionString, out var store, out _) ? store : null;
        var keys = new List<string>();
        if (!string.IsNullOrEmpty(options.IngestKey)) keys.Add(options.IngestKey);
        keys.AddRange(options.HmacKeys);
        _keys = keys.Where(k => k.Length >= MinSecretLength).Distinct(StringComparer.Ordinal).OrderByDescending(k => k.Length).ToArray();
    }

    public string Redact(string text)
    {
        if (_store is not null) text = _store.ScrubPassword(text);
        foreach (var key in _keys) text = text.Replace(key, "***", StringComparison.Ordinal);
        return text;
    }
}
