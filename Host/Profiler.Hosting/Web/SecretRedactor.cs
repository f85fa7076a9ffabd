namespace Profiler.Hosting.Web;

/// <summary>Removes the shell's secrets (store password, ingest key, HMAC keys) from text before it is logged.</summary>
internal sealed class SecretRedactor
{
    private readonly string[] _secrets;

    public SecretRedactor(WebShellOptions options)
    {
        var secrets = new List<string>();
        try
        {
            if (Domain.ConnectionString.Parse(options.ConnectionString).Password is { Length: > 0 } pw)
            {
                secrets.Add(pw);
                secrets.Add(Uri.EscapeDataString(pw));
            }
        }
        catch (FormatException)
        {
            // An unparsable connection string never opened a store; nothing to redact from it.
        }
        if (!string.IsNullOrEmpty(options.IngestKey)) secrets.Add(options.IngestKey);
        secrets.AddRange(options.HmacKeys.Where(k => k.Length > 0));
        _secrets = secrets.Where(s => s.Length >= 3).Distinct().OrderByDescending(s => s.Length).ToArray();
    }

    public string Redact(string text)
    {
        foreach (var s in _secrets) text = text.Replace(s, "***", StringComparison.Ordinal);
        return text;
    }
}
