using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// PostgreSQL ≥ 9.5 through Npgsql, in SQLAlchemy's URL form
/// <c>postgresql+psycopg2://user:password@host[:port]/database[?options]</c> (schemes <c>postgresql</c>,
/// <c>postgresql+psycopg2</c>, <c>postgres</c>). Defaults: host <c>localhost</c>, port 5432, connection pooling on,
/// connect timeout 15 s, command timeout 30 s. The database must exist; table <c>data</c> (column <c>data</c> of
/// type <c>json</c>, a <c>SERIAL</c> id, as SQLAlchemy creates it) and its indexes are created when missing.
/// </summary>
/// <remarks>
/// Query options (libpq's names): <c>host</c> (a host or a unix socket directory), <c>port</c>, <c>sslmode</c>
/// (<c>disable</c>, <c>allow</c>, <c>prefer</c>, <c>require</c>, <c>verify-ca</c>, <c>verify-full</c>),
/// <c>sslrootcert</c>, <c>sslcert</c>, <c>sslkey</c>, <c>connect_timeout</c> (seconds, 1 to 1024), <c>application_name</c>,
/// <c>options</c>, <c>target_session_attrs</c>, <c>client_encoding</c>/<c>charset</c> (UTF-8 only); and Profiler's own
/// <c>command_timeout</c> (seconds up to 3600 a statement may run, default 30: see <see cref="Timeout"/>). Others are ignored.
/// Several hosts (<c>host1:5432,host2:5432</c>) are tried in order.
/// </remarks>
internal sealed partial class PostgresDialect : SqlDialect
{
    /// <summary>Default TCP port.</summary>
    public const int DefaultPort = 5432;

    /// <summary>Most seconds <c>connect_timeout</c> may give: Npgsql's largest <c>Timeout</c>.</summary>
    public const int MaxConnectTimeout = 1024;

    /// <summary>Seconds a command may run when the URL sets no <c>command_timeout</c>.</summary>
    public const int DefaultCommandTimeout = 30;

    /// <summary>Oldest PostgreSQL served: <c>json</c> and <c>CREATE INDEX IF NOT EXISTS</c>.</summary>
    public static readonly Version Minimum = new(9, 5);

    public override string JsonColumnType => "json";

    public override string DataAsText => "data::text";

    public override void Configure(DbContextOptionsBuilder builder, ConnectionString connectionString) =>
        builder.UseNpgsql(BuildConnectionString(connectionString));

    public override string ProviderConnectionString(ConnectionString connectionString) => BuildConnectionString(connectionString);

    public override DbConnection CreateConnection(string providerConnectionString) => new NpgsqlConnection(providerConnectionString);

    public override ITraceWriter CreateWriter(SqlDatabase database) => new PostgresTraceWriter(database);

    /// <summary>SQLAlchemy creates <c>id SERIAL</c> with the primary key <c>data_pkey</c>; do the same.</summary>
    public override void ConfigureModel(ModelBuilder modelBuilder)
    {
        modelBuilder.UseSerialColumns();
        modelBuilder.Entity<DataRow>().HasKey(r => r.Id).HasName("data_pkey");
    }

    /// <summary>The Npgsql connection string for a SQLAlchemy URL; throws <see cref="FormatException"/> naming a bad option.</summary>
    internal static string BuildConnectionString(ConnectionString url)
    {
        if (string.IsNullOrEmpty(url.Path) || url.Path.Contains('/'))
            throw new FormatException(
                $"Connection string '{url}' names no database: use {url.Scheme}://user:password@host[:port]/database (the database must exist).");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = url.Hosts.Count == 0 ? "localhost" : string.Join(',', url.Hosts.Select(h => $"{h.Host}:{h.Port ?? DefaultPort}")),
            Database = url.Path,
            Username = url.Username,
            Password = url.Password,
            Pooling = true,
            Timeout = 15,
            ApplicationName = "profiler",
        };
        if (url.Hosts.Count == 1) (b.Host, b.Port) = (url.Hosts[0].Host, url.Hosts[0].Port ?? DefaultPort);
        foreach (var (key, value) in url.Query)
        {
            switch (key.ToLowerInvariant())
            {
                case "host":
                    b.Host = value;
                    break;
                case "port":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                        throw new FormatException($"Connection string option port='{TracePointRules.Show(value)}' is not a port from 1 to 65535 in {url}.");
                    b.Port = port;
                    break;
                case "sslmode":
                    b.SslMode = value.ToLowerInvariant() switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw new FormatException(
                            $"Connection string option sslmode='{TracePointRules.Show(value)}' is not an SSL mode in {url}: use disable, allow, prefer, require, verify-ca or verify-full."),
                    };
                    break;
                case "sslrootcert":
                    b.RootCertificate = value;
                    break;
                case "sslcert":
                    b.SslCertificate = value;
                    break;
                case "sslkey":
                    b.SslKey = value;
                    break;
                case "connect_timeout":
                    // Npgsql's Timeout is whole seconds up to 1024 and throws ArgumentOutOfRangeException beyond, which
                    // would read as the driver's failure rather than the URL's.
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var connect) || !double.IsFinite(connect)
                        || connect <= 0 || Math.Ceiling(connect) > MaxConnectTimeout)
                        throw new FormatException(
                            $"Connection string option connect_timeout='{TracePointRules.Show(value)}' is not a number of seconds from 1 to {MaxConnectTimeout} " +
                            $"(Npgsql's most; fractions are rounded up, e.g. connect_timeout=10) in {url}.");
                    b.Timeout = (int)Math.Ceiling(connect);
                    break;
                case "command_timeout":
                    break; // the command timeout, below
                case "application_name":
                    b.ApplicationName = value;
                    break;
                case "options":
                    b.Options = value;
                    break;
                case "target_session_attrs":
                    // Npgsql refuses other values with an ArgumentException, which would read as the driver's failure.
                    b.TargetSessionAttributes = value.ToLowerInvariant() is "any" or "primary" or "standby" or "prefer-primary"
                        or "prefer-standby" or "read-write" or "read-only"
                        ? value.ToLowerInvariant()
                        : throw new FormatException(
                            $"Connection string option target_session_attrs='{TracePointRules.Show(value)}' is not a session kind in {url}: " +
                            "use any, primary, standby, prefer-primary, prefer-standby, read-write or read-only.");
                    break;
                case "client_encoding" or "charset":
                    if (value.ToLowerInvariant() is not ("utf8" or "utf-8" or "unicode"))
                        throw new FormatException(
                            $"Connection string option {key}='{TracePointRules.Show(value)}' is not supported in {url}: use {key}=utf8.");
                    break;
                // psycopg2/SQLAlchemy options without a meaning here (keepalives, gssencmode …).
            }
        }
        b.CommandTimeout = (int)TimeoutOf(url).Seconds;
        return b.ConnectionString;
    }

    /// <summary>
    /// The command timeout (Npgsql's <c>CommandTimeout</c>, whole seconds): the URL's <c>command_timeout</c>, else
    /// <see cref="DefaultCommandTimeout"/>. libpq has no such URL option (its <c>connect_timeout</c> only bounds
    /// connecting): <c>command_timeout</c> is Profiler's own, and libpq (so psycopg2, so OSProfiler) refuses a URL
    /// holding it: give it only to Profiler's URL.
    /// </summary>
    public override SqlTimeout Timeout(ConnectionString connectionString) => TimeoutOf(connectionString);

    private static SqlTimeout TimeoutOf(ConnectionString connectionString)
    {
        foreach (var key in connectionString.Query.Keys)
            if (key.Equals("command_timeout", StringComparison.OrdinalIgnoreCase))
                return new SqlTimeout(Math.Ceiling(connectionString.GetSeconds(key)!.Value.TotalSeconds), "command_timeout", true);
        return new SqlTimeout(DefaultCommandTimeout, "command_timeout", false);
    }

    /// <summary>
    /// Npgsql's command timeout: an <see cref="NpgsqlException"/> over a <see cref="TimeoutException"/> (Npgsql asked the
    /// server to cancel the statement, or gave up on the connection when that failed too).
    /// </summary>
    public override bool IsTimeout(Exception exception) =>
        exception is NpgsqlException { InnerException: TimeoutException } || exception is TimeoutException;

    public override async Task<bool> TableExistsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT to_regclass('data') IS NOT NULL";
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    protected override string TableCountQuery =>
        "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE tablename = @table AND schemaname = ANY (current_schemas(false))";

    public override string InsertPin =>
        "INSERT INTO profiler_pins (base_id, pinned_at) VALUES (@base_id, @pinned_at) ON CONFLICT (base_id) DO NOTHING";

    /// <summary>Table <c>data</c> with its indexes and TOAST.</summary>
    public override string SizeQuery => "SELECT pg_total_relation_size('data')";

    public override async Task CheckServerAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SHOW server_version";
        var version = Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) ?? "";
        if (VersionProblem(version) is { } problem)
        {
            var b = new NpgsqlConnectionStringBuilder(connection.ConnectionString);
            throw new TraceStoreException($"Cannot use {Describe(b)}: {problem}");
        }
    }

    /// <summary>Reads <c>SHOW server_version</c> text such as <c>15.14 (Debian 15.14-0+deb12u1)</c> or <c>9.6.24</c>.</summary>
    internal static Version? ParseVersion(string text)
    {
        var match = VersionPattern().Match(text);
        if (!match.Success) return null;
        return new Version(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>Null when the server can hold the table; else what is wrong, naming the version found and the minimum.</summary>
    internal static string? VersionProblem(string versionText)
    {
        var shown = TracePointRules.Show(versionText);
        return ParseVersion(versionText) switch
        {
            null => $"server version '{shown}' is not a PostgreSQL version; Profiler needs PostgreSQL {Minimum} or later.",
            var v when v < Minimum => $"PostgreSQL {v} (server version '{shown}') is too old: Profiler needs PostgreSQL {Minimum} or later.",
            _ => null,
        };
    }

    [GeneratedRegex(@"^\s*(\d+)(?:\.(\d+))?")]
    private static partial Regex VersionPattern();

    public override string Describe(ConnectionString connectionString) =>
        Describe(new NpgsqlConnectionStringBuilder(BuildConnectionString(connectionString)));

    private static string Describe(NpgsqlConnectionStringBuilder b) =>
        $"PostgreSQL database '{b.Database}' on {Where(b)} as user '{b.Username}'";

    private static string Where(NpgsqlConnectionStringBuilder b) =>
        b.Host is { } h && (h.StartsWith('/') || h.Contains(',')) ? h : $"{b.Host}:{b.Port}";

    public override string? Explain(Exception exception, ConnectionString connectionString, SqlOperation operation)
    {
        var b = new NpgsqlConnectionStringBuilder(BuildConnectionString(connectionString));
        string db = b.Database ?? "", user = b.Username ?? "";
        switch (exception)
        {
            case PostgresException { SqlState: "3D000" }:
                return $"database '{db}' does not exist on {connectionString.Scheme} {Where(b)} " +
                       $"(create it: CREATE DATABASE \"{db}\" OWNER \"{user}\")";
            case PostgresException { SqlState: "28P01" or "28000" } e:
                return $"the server refused user '{user}': wrong user name or password, or pg_hba.conf does not let it in [{e.MessageText}]";
            case PostgresException { SqlState: "42501" } e:
            {
                var text = e.MessageText;
                string privilege, on, grant;
                if (text.Contains("for database", StringComparison.Ordinal))
                    (privilege, on, grant) = ("CONNECT", $"database {db}", $"GRANT CONNECT ON DATABASE \"{db}\" TO \"{user}\"");
                else if (text.Contains("for schema", StringComparison.Ordinal))
                {
                    var match = SchemaPattern().Match(text);
                    var schema = e.SchemaName ?? (match.Success ? match.Groups[1].Value : "public");
                    privilege = operation is SqlOperation.CreateTable or SqlOperation.CreatePinTable or SqlOperation.CreateBatchTable ? "CREATE" : "USAGE";
                    on = $"schema {schema} of database {db}";
                    grant = $"GRANT {privilege} ON SCHEMA {schema} TO \"{user}\"" +
                            (privilege == "CREATE" ? $" (needed only while table {Table(operation)} is missing)" : "");
                }
                else if (text.Contains("for sequence", StringComparison.Ordinal))
                    (privilege, on, grant) = ("USAGE", $"{db}.data_id_seq", $"GRANT USAGE ON SEQUENCE data_id_seq TO \"{user}\"");
                else
                {
                    privilege = operation switch
                    {
                        SqlOperation.Write or SqlOperation.Pin or SqlOperation.ClaimBatch => "INSERT", SqlOperation.Delete => "DELETE",
                        SqlOperation.CreateTable or SqlOperation.CreatePinTable or SqlOperation.CreateBatchTable => "CREATE", _ => "SELECT",
                    };
                    on = $"{db}.{Table(operation)}";
                    grant = privilege == "INSERT" && operation == SqlOperation.Write
                        ? $"GRANT INSERT ON data TO \"{user}\"; GRANT USAGE ON SEQUENCE data_id_seq TO \"{user}\""
                        : operation == SqlOperation.Pin ? $"GRANT SELECT, INSERT, DELETE ON {TraceLifecycle.PinTable} TO \"{user}\""
                        : operation == SqlOperation.ClaimBatch ? $"GRANT SELECT, INSERT, DELETE ON {SqlBatchLog.Table} TO \"{user}\""
                        : $"GRANT {privilege} ON {Table(operation)} TO \"{user}\"";
                }
                return $"user '{user}' lacks {privilege} on {on} (grant it: {grant}) [{text}]";
            }
            case NpgsqlException { InnerException: SocketException s }:
                return $"no server answers at {Where(b)} ({s.Message})";
            default:
                return null;
        }
    }

    private static string Table(SqlOperation operation) =>
        operation is SqlOperation.CreatePinTable or SqlOperation.Pin ? TraceLifecycle.PinTable
        : operation is SqlOperation.CreateBatchTable or SqlOperation.ClaimBatch ? SqlBatchLog.Table : "data";

    [GeneratedRegex(@"for schema (\S+)")]
    private static partial Regex SchemaPattern();
}
