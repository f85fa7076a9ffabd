using System.Text;

namespace Profiler.Domain;

/// <summary>One <c>host[:port]</c> of a connection string.</summary>
public readonly record struct HostPort(string Host, int? Port)
{
    public override string ToString() =>
        Port is null ? Host : Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>
/// A parsed collector URL (COMPAT §2–3): <c>scheme://[user[:password]@]host[:port][,host[:port]…][/path][?key=value&amp;…]</c>.
/// SQLite takes SQLAlchemy's form <c>sqlite:///relative.db</c> or <c>sqlite:////absolute/path.db</c>.
/// <see cref="ToString"/> and every error message show the value with the password replaced by <c>***</c>.
/// </summary>
public sealed class ConnectionString
{
    /// <summary>The form every URL must have, for error messages.</summary>
    public const string ExpectedForm =
        "scheme://[user[:password]@]host[:port][/database][?key=value] " +
        "(e.g. redis://:password@127.0.0.1:6379/0, mysql+pymysql://user:password@127.0.0.1/profiler, sqlite:///profiler.db)";

    private static readonly string[] SecretQueryKeys = ["password", "passwd", "pwd", "secret", "token", "key"];

    private ConnectionString(string scheme) => Scheme = scheme;

    /// <summary>Lower-case scheme, e.g. <c>redis</c>, <c>mysql+pymysql</c>, <c>sqlite</c>.</summary>
    public string Scheme { get; }
    public string? Username { get; private init; }
    /// <summary>The password, percent-decoded. Never printed: use <see cref="ToString"/> to show the value.</summary>
    public string? Password { get; private init; }
    /// <summary>Hosts in order; empty when the URL has none (SQLite).</summary>
    public IReadOnlyList<HostPort> Hosts { get; private init; } = [];
    /// <summary>The text after the first <c>/</c> following the hosts (database name, Redis db number, SQLite file), percent-decoded; null when absent.</summary>
    public string? Path { get; private init; }
    /// <summary>Query options, percent-decoded; a key given twice keeps its last value.</summary>
    public IReadOnlyDictionary<string, string> Query { get; private init; } = new Dictionary<string, string>();

    /// <summary>The first host, or null.</summary>
    public HostPort? Host => Hosts.Count > 0 ? Hosts[0] : null;

    /// <summary>Parses a connection string; throws <see cref="FormatException"/> with the redacted value and the expected form.</summary>
    public static ConnectionString Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new FormatException($"Connection string is empty. Expected {ExpectedForm}.");
        var sep = value.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0)
            throw Error(value, "it has no scheme:// prefix");
        var scheme = value[..sep];
        if (!scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.') || !char.IsAsciiLetter(scheme[0]))
            throw Error(value, $"scheme '{scheme}' is not a URL scheme");
        var rest = value[(sep + 3)..];
        if (rest.Any(char.IsControl) || rest.Any(char.IsWhiteSpace))
            throw Error(value, "it contains whitespace or control characters");

        string? user = null, password = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            user = Decode(value, colon >= 0 ? userInfo[..colon] : userInfo, "user name");
            password = colon >= 0 ? Decode(value, userInfo[(colon + 1)..], "password", secret: true) : null;
            if (user.Length == 0) user = null;
        }

        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        var q = rest.IndexOf('?');
        if (q >= 0)
        {
            foreach (var pair in rest[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                var key = Decode(value, eq >= 0 ? pair[..eq] : pair, "query key");
                if (key.Length == 0) throw Error(value, $"query option '{pair}' has no name");
                query[key] = Decode(value, eq >= 0 ? pair[(eq + 1)..] : "", $"value of query option '{key}'",
                    secret: IsSecretKey(key));
            }
            rest = rest[..q];
        }

        string? path = null;
        var slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            path = Decode(value, rest[(slash + 1)..], "path");
            rest = rest[..slash];
        }

        var hosts = new List<HostPort>();
        if (rest.Length > 0)
            foreach (var part in rest.Split(','))
                hosts.Add(ParseHost(value, part));

        return new ConnectionString(scheme.ToLowerInvariant())
        {
            Username = user, Password = password, Hosts = hosts, Path = path, Query = query,
        };
    }

    /// <summary>Parses, returning false and a message (value redacted) instead of throwing.</summary>
    public static bool TryParse(string? value, out ConnectionString? result, out string? error)
    {
        try
        {
            result = Parse(value);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            result = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>
    /// Redacts a connection string that may not parse: the text between <c>scheme://user:</c> and the last <c>@</c>,
    /// and values of secret-looking query options, become <c>***</c>.
    /// </summary>
    public static string Redact(string? value)
    {
        if (value is null) return "";
        var sep = value.IndexOf("://", StringComparison.Ordinal);
        var start = sep >= 0 ? sep + 3 : 0;
        var at = value.LastIndexOf('@');
        var sb = new StringBuilder();
        if (at >= start)
        {
            var colon = value.IndexOf(':', start);
            sb.Append(colon >= 0 && colon < at ? value[..(colon + 1)] + "***" : value[..start] + "***");
            sb.Append(value, at, value.Length - at);
        }
        else sb.Append(value);
        var redacted = sb.ToString();
        var q = redacted.IndexOf('?');
        if (q < 0) return Printable(redacted);
        var parts = redacted[(q + 1)..].Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=');
            if (eq > 0 && IsSecretKey(Uri.UnescapeDataString(parts[i][..eq]))) parts[i] = parts[i][..(eq + 1)] + "***";
        }
        return Printable(redacted[..(q + 1)] + string.Join('&', parts));
    }

    /// <summary>
    /// <paramref name="text"/> (a message from code that saw this connection string) with the password, plain or
    /// percent-encoded, replaced by <c>***</c>. Passwords under 3 characters are left: replacing them would mangle the
    /// text without hiding anything worth hiding.
    /// </summary>
    public string ScrubPassword(string text)
    {
        if (Password is not { Length: >= 3 } password) return text;
        return text.Replace(password, "***", StringComparison.Ordinal)
            .Replace(Uri.EscapeDataString(password), "***", StringComparison.Ordinal);
    }

    /// <summary>The connection string with its password and secret query values shown as <c>***</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Scheme).Append("://");
        if (Username is not null || Password is not null)
        {
            sb.Append(Uri.EscapeDataString(Username ?? ""));
            if (Password is not null) sb.Append(":***");
            sb.Append('@');
        }
        sb.AppendJoin(',', Hosts);
        if (Path is not null) sb.Append('/').Append(Path);
        if (Query.Count > 0)
            sb.Append('?').AppendJoin('&', Query.Select(kv =>
                $"{Uri.EscapeDataString(kv.Key)}={(IsSecretKey(kv.Key) ? "***" : Uri.EscapeDataString(kv.Value))}"));
        return sb.ToString();
    }

    /// <summary>Reads a query option as seconds (e.g. <c>socket_timeout=0.5</c>); throws <see cref="FormatException"/> naming key and value.</summary>
    public TimeSpan? GetSeconds(string key)
    {
        if (!Query.TryGetValue(key, out var text)) return null;
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s)
            && s > 0 && s <= 3600 && double.IsFinite(s))
            return TimeSpan.FromSeconds(s);
        throw new FormatException($"Connection string option {key}='{TraceTimestamp.Truncate(text)}' is not a number of seconds between 0 and 3600 (e.g. {key}=0.5) in {this}.");
    }

    /// <summary>Reads a query option as a boolean (true/false/1/0/yes/no/on/off); throws naming key and value.</summary>
    public bool? GetBoolean(string key)
    {
        if (!Query.TryGetValue(key, out var text)) return null;
        return text.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "on" => true,
            "false" or "0" or "no" or "off" => false,
            _ => throw new FormatException($"Connection string option {key}='{TraceTimestamp.Truncate(text)}' is not a boolean (true or false) in {this}."),
        };
    }

    private static bool IsSecretKey(string key) =>
        SecretQueryKeys.Any(k => key.Contains(k, StringComparison.OrdinalIgnoreCase));

    private static HostPort ParseHost(string value, string part)
    {
        string host;
        string? port = null;
        if (part.StartsWith('['))
        {
            var close = part.IndexOf(']');
            if (close < 0) throw Error(value, $"host '{part}' opens '[' without closing it");
            host = part[1..close];
            var after = part[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':') throw Error(value, $"host '{part}' has text after ']' that is not :port");
                port = after[1..];
            }
        }
        else
        {
            var colon = part.LastIndexOf(':');
            host = colon >= 0 ? part[..colon] : part;
            port = colon >= 0 ? part[(colon + 1)..] : null;
        }
        if (host.Length == 0) throw Error(value, $"host '{part}' is empty");
        if (!host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '%'))
            throw Error(value, $"host '{host}' has characters a host name cannot have");
        int? portNumber = null;
        if (port is not null)
        {
            if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p)
                || p is < 1 or > 65535)
                throw Error(value, $"port '{port}' is not a number from 1 to 65535");
            portNumber = p;
        }
        return new HostPort(host, portNumber);
    }

    private static string Decode(string value, string text, string what, bool secret = false)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (Exception) when (!secret)
        {
            throw Error(value, $"{what} '{text}' is not percent-encoded correctly");
        }
    }

    private static FormatException Error(string value, string reason) =>
        new($"Connection string '{Redact(value)}' is malformed: {Printable(reason)}. Expected {ExpectedForm}.");

    private static string Printable(string s)
    {
        var t = TraceTimestamp.Truncate(s, 200);
        return new string(t.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
