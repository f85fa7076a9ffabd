using System.Text;

namespace Profiler.Domain;

/// <summary>One <c>host[:port]</c> of a connection string.</summary>
public readonly record struct HostPort(string Host, int? Port)
{
    public override string ToString() =>
        Port is null ? Host : Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>
/// A parsed collector URL (docs/osprofiler-formats.md §2–3):
/// <c>scheme://[user[:password]@]host[:port][,host[:port]…][/path][?key=value&amp;…]</c>.
/// User name, password, path and query are percent-decoded; a <c>%</c> not followed by two hex digits, or escapes
/// that do not decode to UTF-8, are a <see cref="FormatException"/> (write a literal <c>%</c> as <c>%25</c>).
/// SQLite takes SQLAlchemy's form: <c>sqlite:///relative.db</c> gives <see cref="Path"/> <c>relative.db</c>
/// (relative to the current directory), <c>sqlite:////abs/dir/x.db</c> gives <c>/abs/dir/x.db</c>.
/// <see cref="ToString"/> and every error message show the value with the password replaced by <c>***</c>; this class
/// is the one place that hides passwords (<see cref="Redact"/>, <see cref="ScrubPassword"/>): drivers, the CLI and
/// the web shell call it rather than keep rules of their own.
/// </summary>
public sealed class ConnectionString
{
    /// <summary>The form every URL must have, for error messages.</summary>
    public const string ExpectedForm =
        "scheme://[user[:password]@]host[:port][/database][?key=value] " +
        "(e.g. redis://:password@127.0.0.1:6379/0, mysql+pymysql://user:password@127.0.0.1/profiler, sqlite:///profiler.db)";

    private static readonly string[] SecretQueryKeys = ["password", "passwd", "pwd", "secret", "token", "key"];

    /// <summary>
    /// Shortest password <see cref="ScrubPassword"/> replaces wherever it occurs in a text (3 characters). A shorter
    /// one is hidden only inside a URL's userinfo: as a bare substring, <c>a</c> or <c>42</c> would turn every word
    /// and number holding it into <c>***</c>, mangling the message while hiding nothing an attacker could not guess.
    /// </summary>
    public const int MinBarePasswordLength = 3;

    private const string Mask = "***";

    private ConnectionString(string scheme) => Scheme = scheme;

    /// <summary>Lower-case scheme, e.g. <c>redis</c>, <c>mysql+pymysql</c>, <c>sqlite</c>.</summary>
    public string Scheme { get; }
    /// <summary>The user name, percent-decoded; null when the URL has none (or an empty one).</summary>
    public string? Username { get; private init; }
    /// <summary>The password, percent-decoded. Never printed: use <see cref="ToString"/> to show the value.</summary>
    public string? Password { get; private init; }
    /// <summary>The password as written in the URL (percent-escapes not decoded), for <see cref="ScrubPassword"/>.</summary>
    private string? PasswordAsWritten { get; init; }
    /// <summary>Hosts in order; empty when the URL has none (SQLite).</summary>
    public IReadOnlyList<HostPort> Hosts { get; private init; } = HostList.None;
    /// <summary>
    /// The text after the first <c>/</c> following the hosts (database name, Redis db number, SQLite file),
    /// percent-decoded; null when absent. With no host, <c>scheme:///relative/x.db</c> gives <c>relative/x.db</c>
    /// and <c>scheme:////abs/x.db</c> gives <c>/abs/x.db</c> (SQLAlchemy's SQLite form).
    /// </summary>
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
        foreach (var c in scheme)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.') || !char.IsAsciiLetter(scheme[0]))
                throw Error(value, $"scheme '{scheme}' is not a URL scheme");
        var rest = value[(sep + 3)..];
        foreach (var c in rest)
            if (char.IsControl(c) || char.IsWhiteSpace(c))
                throw Error(value, "it contains whitespace or control characters");

        string? user = null, password = null, passwordAsWritten = null;
        var at = UserInfoEnd(rest);
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            user = Decode(value, colon >= 0 ? userInfo[..colon] : userInfo, "user name");
            passwordAsWritten = colon >= 0 ? userInfo[(colon + 1)..] : null;
            password = passwordAsWritten is null ? null : Decode(value, passwordAsWritten, "password", secret: true);
            if (user.Length == 0) user = null;
        }

        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        var q = rest.IndexOf('?');
        if (q >= 0)
        {
            foreach (var pair in rest[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                var key = Decode(value, eq >= 0 ? pair[..eq] : pair, "query key", secret: MayHideAPassword(pair));
                if (key.Length == 0) throw Error(value, $"query option '{pair}' has no name");
                query[key] = Decode(value, eq >= 0 ? pair[(eq + 1)..] : "", $"value of query option '{key}'",
                    secret: IsSecretKey(key) || MayHideAPassword(pair));
            }
            rest = rest[..q];
        }

        string? path = null;
        var slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            path = Decode(value, rest[(slash + 1)..], "path", secret: MayHideAPassword(rest));
            rest = rest[..slash];
        }

        var hosts = HostList.None;
        if (rest.Length > 0)
        {
            var parts = rest.Split(',');
            var parsed = new HostPort[parts.Length];
            for (var i = 0; i < parts.Length; i++) parsed[i] = ParseHost(value, parts[i]);
            hosts = new HostList(parsed);
        }

        return new ConnectionString(scheme.ToLowerInvariant())
        {
            Username = user, Password = password, PasswordAsWritten = passwordAsWritten, Hosts = hosts, Path = path, Query = query,
        };
    }

    /// <summary>
    /// Where the user info ends (its <c>@</c>), or -1 when there is none. As Python's urllib (redis-py) reads it, the
    /// last <c>@</c> before the first <c>/</c> or <c>?</c>, so a password may hold <c>@</c>; and, as SQLAlchemy reads
    /// it, <c>user:password@</c> whose password holds a <c>/</c> or <c>?</c>. An <c>@</c> in the path or query
    /// (<c>sqlite:////tmp/a@b.db</c>, <c>?application_name=me@host</c>) is not user info.
    /// </summary>
    private static int UserInfoEnd(string rest)
    {
        var end = rest.AsSpan().IndexOfAny('/', '?');
        if (end < 0) return rest.LastIndexOf('@');
        var at = rest.LastIndexOf('@', end);
        if (at >= 0) return at;
        var colon = rest.IndexOf(':');
        return colon >= 0 && colon < end ? rest.IndexOf('@', end) : -1;
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
    /// Redacts a connection string that may not parse (for messages about a bad value): the userinfo after
    /// <c>scheme://user:</c> up to the last <c>@</c> (or, without a <c>:</c>, the whole userinfo), and the values of
    /// secret-looking query options (<c>password</c>, <c>pwd</c>, <c>secret</c>, <c>token</c>, <c>key</c>…), become
    /// <c>***</c>; control characters show as <c>?</c> and the result is cut at 200 characters. Null gives "".
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
            sb.Append(colon >= 0 && colon < at ? value[..(colon + 1)] + Mask : value[..start] + Mask);
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
            if (eq > 0 && IsSecretKey(Uri.UnescapeDataString(parts[i][..eq]))) parts[i] = parts[i][..(eq + 1)] + Mask;
        }
        return Printable(redacted[..(q + 1)] + string.Join('&', parts));
    }

    /// <summary>
    /// <paramref name="text"/> (a message from code that saw this connection string, e.g. a driver's or server's
    /// error) with passwords replaced by <c>***</c>, by two rules:
    /// <list type="number">
    /// <item>In every URL in the text (<c>scheme://user:password@host…</c>, any scheme, the URL ending at whitespace
    /// or a quote), the password between <c>user:</c> and the last <c>@</c> is replaced, whatever its length and
    /// whether or not it is this one's: a password in userinfo position is a password.</item>
    /// <item>This connection string's password of at least <see cref="MinBarePasswordLength"/> characters is replaced
    /// wherever it occurs: as decoded, percent-encoded (<see cref="Uri.EscapeDataString(string)"/>) and as written in the
    /// URL. A shorter password is left elsewhere in the text (only rule 1 hides it): replacing every <c>a</c> or
    /// <c>42</c> would mangle the message and hide nothing worth hiding.</item>
    /// </list>
    /// A connection string without a password applies rule 1 only.
    /// </summary>
    public string ScrubPassword(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = ScrubUrlPasswords(text);
        if (Password is not { Length: >= MinBarePasswordLength } password) return text;
        // Longest first, so that a form holding another (p%2540 holds p%25) is replaced whole.
        foreach (var form in new[] { password, Uri.EscapeDataString(password), PasswordAsWritten ?? password }
                     .Distinct(StringComparer.Ordinal).OrderByDescending(f => f.Length))
            text = text.Replace(form, Mask, StringComparison.Ordinal);
        return text;
    }

    /// <summary>Rule 1 of <see cref="ScrubPassword"/>: the userinfo password of every URL in the text.</summary>
    private static string ScrubUrlPasswords(string text)
    {
        var sep = text.IndexOf("://", StringComparison.Ordinal);
        if (sep < 0) return text;
        var sb = new StringBuilder(text.Length);
        var copied = 0;
        while (sep >= 0)
        {
            var start = sep + 3;
            var end = start;
            while (end < text.Length && !EndsUrl(text[end])) end++;
            var at = text.LastIndexOf('@', end - 1, end - start);
            var colon = at > start ? text.IndexOf(':', start, at - start) : -1;
            if (colon >= 0 && !(at == colon + 1 + Mask.Length && text.AsSpan(colon + 1, Mask.Length).SequenceEqual(Mask)))
            {
                sb.Append(text, copied, colon + 1 - copied).Append(Mask);
                copied = at;
            }
            sep = end < text.Length ? text.IndexOf("://", end, StringComparison.Ordinal) : -1;
        }
        return sb.Append(text, copied, text.Length - copied).ToString();
    }

    private static bool EndsUrl(char c) => char.IsWhiteSpace(c) || char.IsControl(c) || c is '\'' or '"' or '`' or '<' or '>';

    /// <summary>The connection string with its password and secret query values shown as <c>***</c>.</summary>
    public override string ToString()
    {
        // No user info, but a ':' before an '@' in the path or query: a mistyped URL (redis:////:secret@host) whose
        // password ended up there. Its path and query are not shown.
        if (Username is null && Password is null
            && (MayHideAPassword(Path ?? "") || Query.Any(kv => MayHideAPassword(kv.Key + "=" + kv.Value))))
            return $"{Scheme}://{string.Join(',', Hosts)}{(Path is null ? "" : "/***")}{(Query.Count > 0 ? "?***" : "")}";
        return Shown();
    }

    /// <summary>Whether a part of a URL holds a ':' before an '@': a password, perhaps, where it does not belong.</summary>
    private static bool MayHideAPassword(string text)
    {
        var colon = text.IndexOf(':');
        return colon >= 0 && colon < text.LastIndexOf('@');
    }

    private string Shown()
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

    /// <summary>
    /// Reads a query option as a retention period (<see cref="RetentionPeriod"/>, e.g. <c>ttl=7d</c>); throws
    /// <see cref="FormatException"/> naming key and value.
    /// </summary>
    public TimeSpan? GetPeriod(string key)
    {
        if (!Query.TryGetValue(key, out var text)) return null;
        return RetentionPeriod.TryParse(text, out var period) ? period
            : throw new FormatException($"Connection string option {key}='{TraceTimestamp.Truncate(text)}' is not a duration: use {RetentionPeriod.Expected}; in {this}.");
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

    private static bool HasSurrogate(string text)
    {
        foreach (var c in text)
            if (char.IsSurrogate(c)) return true;
        return false;
    }

    /// <summary>
    /// The hosts, read-only, in a list class of this assembly: a <c>List&lt;HostPort&gt;</c> or an array behind the
    /// interface are the runtime's generic code over this value type, compiled at run time on every start
    /// (ReadyToRun cannot precompile them across assemblies), a short command's every connection string included.
    /// </summary>
    private sealed class HostList(HostPort[] items) : IReadOnlyList<HostPort>
    {
#pragma warning disable CA1825 // Array.Empty<HostPort>() is that same run-time-compiled generic code.
        public static readonly HostList None = new(new HostPort[0]);
#pragma warning restore CA1825

        public HostPort this[int index] => items[index];

        public int Count => items.Length;

        public IEnumerator<HostPort> GetEnumerator()
        {
            for (var i = 0; i < items.Length; i++) yield return items[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Percent-decodes one part of the URL strictly. <see cref="Uri.UnescapeDataString(string)"/> never throws: it
    /// leaves <c>%zz</c>, a lone <c>%</c> or <c>%4</c> as they are, so a typo passed unnoticed. Here each <c>%</c>
    /// must start two hex digits and the bytes must be UTF-8; otherwise a <see cref="FormatException"/> names the
    /// part (not the text of a secret one).
    /// </summary>
    private static string Decode(string value, string text, string what, bool secret = false)
    {
        if (!text.Contains('%'))
        {
            if (HasSurrogate(text) && !IsValidUtf16(text))
                throw Error(value, secret ? $"{what} is not valid text" : $"{what} '{text}' is not valid text");
            return text;
        }
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length;)
        {
            if (text[i] == '%')
            {
                if (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2]))
                {
                    var escape = text.Substring(i, Math.Min(3, text.Length - i));
                    throw Error(value, secret
                        ? $"{what} is not percent-encoded correctly: a '%' is not followed by two hex digits (write a literal % as %25)"
                        : $"{what} '{text}' is not percent-encoded correctly: '{escape}' is not % and two hex digits (write a literal % as %25)");
                }
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 3;
                continue;
            }
            var next = text.IndexOf('%', i);
            if (next < 0) next = text.Length;
            try
            {
                bytes.AddRange(StrictUtf8.GetBytes(text[i..next]));
            }
            catch (ArgumentException)
            {
                throw Error(value, secret ? $"{what} is not valid text" : $"{what} '{text}' is not valid text");
            }
            i = next;
        }
        string decoded;
        try
        {
            decoded = StrictUtf8.GetString(bytes.ToArray());
        }
        catch (ArgumentException)
        {
            throw Error(value, secret
                ? $"{what} is not UTF-8 once percent-decoded"
                : $"{what} '{text}' is not UTF-8 once percent-decoded");
        }
        // A file name, host or option with a NUL or a line break in it is a typo, and no store takes it.
        if (!secret && decoded.Any(char.IsControl))
            throw Error(value, $"{what} '{text}' holds a control character once percent-decoded (%00–%1F, %7F)");
        return decoded;
    }

    private static bool IsValidUtf16(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return false;
        }
        return true;
    }

    private static FormatException Error(string value, string reason) =>
        new($"Connection string '{Redact(value)}' is malformed: {Printable(reason)}. Expected {ExpectedForm}.");

    private static string Printable(string s)
    {
        var t = TraceTimestamp.Truncate(s, 200);
        return new string(t.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
