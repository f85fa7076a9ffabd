using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using MySqlConnector;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// MySQL ≥ 5.7.8 and MariaDB ≥ 10.2 through Pomelo/MySqlConnector, in SQLAlchemy's URL form
/// <c>mysql+pymysql://user:password@host[:port]/database[?options]</c> (schemes <c>mysql</c>, <c>mysql+pymysql</c>,
/// <c>mysql+mysqldb</c>, <c>mariadb</c>). Defaults: port 3306, connection pooling on, connect timeout 15 s,
/// command timeout 30 s. The database must exist; table <c>data</c> and its indexes are created when missing.
/// </summary>
/// <remarks>
/// Query options: <c>charset</c> (<c>utf8</c>, <c>utf8mb4</c> or <c>utf8mb3</c>: the wire always speaks utf8mb4),
/// <c>connect_timeout</c>, <c>read_timeout</c>/<c>write_timeout</c> (seconds up to 3600; the larger of the two is
/// the command timeout, 30 s when neither is given: see <see cref="Timeout"/>), <c>unix_socket</c> (a socket path
/// instead of TCP), <c>ssl_mode</c> (<c>disabled</c>, <c>preferred</c>, <c>required</c>, <c>verify_ca</c>,
/// <c>verify_identity</c>), <c>ssl_ca</c>/<c>ssl_cert</c>/<c>ssl_key</c>, <c>program_name</c>. Others are ignored.
/// The JSON column is <c>json</c> (on MariaDB a <c>longtext</c> with a <c>json_valid</c> check, which the server adds).
/// </remarks>
internal sealed partial class MySqlDialect : SqlDialect
{
    // Base ids: the data table's columns take the database's collation (OSProfiler's schema sets none), which is
    // case-insensitive (utf8mb4_general_ci, latin1_swedish_ci, …), so base_id = 'Req-1' also matches req-1. Each
    // comparison keeps the plain one, so the base_id index still finds the rows, and adds the same comparison on the
    // bytes (CAST(… AS BINARY), whatever the column's character set; ids are ASCII, TracePointRules.IsSafeId). A
    // whole-table DISTINCT or ORDER BY on the bytes loses the index (see TraceLifecycle).
    public override string BaseIdEquals(string column, string value) => $"({column} = {value} AND {Exact(column)} = {Exact(value)})";

    public override string BaseIdIn(string column, string list) => $"({column} IN ({list}) AND {Exact(column)} IN ({list}))";

    public override string BaseIdKey(string column) => Exact(column);

    private static string Exact(string expression) => $"CAST({expression} AS BINARY)";

    /// <summary>Default TCP port.</summary>
    public const int DefaultPort = 3306;

    /// <summary>Oldest MySQL with a JSON type.</summary>
    public static readonly Version MinimumMySql = new(5, 7, 8);

    /// <summary>Oldest MariaDB with a JSON type.</summary>
    public static readonly Version MinimumMariaDb = new(10, 2);

    /// <summary>Seconds a command may run when the URL sets neither <c>read_timeout</c> nor <c>write_timeout</c>.</summary>
    public const int DefaultCommandTimeout = 30;

    private static readonly string[] Charsets = ["utf8", "utf8mb4", "utf8mb3"];

    public override string JsonColumnType => "json";

    public override void Configure(DbContextOptionsBuilder builder, ConnectionString connectionString)
    {
        var cs = BuildConnectionString(connectionString);
        // The version only shapes generated DDL, and the table's DDL is the same on every supported server;
        // the real server is checked on first use (CheckServerAsync).
        ServerVersion version = connectionString.Scheme == "mariadb"
            ? new MariaDbServerVersion(MinimumMariaDb)
            : new MySqlServerVersion(MinimumMySql);
        builder.UseMySql(cs, version);
    }

    /// <summary>With the two options Pomelo's EF Core provider sets on the connections it opens, as before.</summary>
    public override string ProviderConnectionString(ConnectionString connectionString) =>
        new MySqlConnectionStringBuilder(BuildConnectionString(connectionString)) { AllowUserVariables = true, UseAffectedRows = false }.ConnectionString;

    /// <summary>
    /// A pool of its own (another connection string) whose connections keep their session when reused (no
    /// <c>COM_RESET_CONNECTION</c>), so that the statements <see cref="MySqlTraceWriter"/> prepared on a connection stay
    /// prepared. The writer leaves no other session state behind: each batch ends in a commit or a rollback.
    /// </summary>
    public override string WriterConnectionString(string providerConnectionString) =>
        new MySqlConnectionStringBuilder(providerConnectionString) { ConnectionReset = false }.ConnectionString;

    public override DbConnection CreateConnection(string providerConnectionString) => new MySqlConnection(providerConnectionString);

    public override ITraceWriter CreateWriter(SqlDatabase database) => new MySqlTraceWriter(database);

    /// <summary>The MySqlConnector connection string for a SQLAlchemy URL; throws <see cref="FormatException"/> naming a bad option.</summary>
    internal static string BuildConnectionString(ConnectionString url)
    {
        if (string.IsNullOrEmpty(url.Path) || url.Path.Contains('/'))
            throw new FormatException(
                $"Connection string '{url}' names no database: use {url.Scheme}://user:password@host[:port]/database (the database must exist).");
        if (url.Hosts.Count > 1)
            throw new FormatException(
                $"Connection string '{url}' names {url.Hosts.Count} hosts; {url.Scheme}:// takes one: {url.Scheme}://user:password@host[:port]/database.");
        var b = new MySqlConnectionStringBuilder
        {
            Server = url.Host?.Host ?? "localhost",
            Port = (uint)(url.Host?.Port ?? DefaultPort),
            Database = url.Path,
            UserID = url.Username ?? "",
            Password = url.Password ?? "",
            Pooling = true,
            ConnectionTimeout = 15,
            ApplicationName = "profiler",
        };
        foreach (var (key, value) in url.Query)
        {
            switch (key.ToLowerInvariant())
            {
                case "charset":
                    if (!Charsets.Contains(value.ToLowerInvariant()))
                        throw new FormatException(
                            $"Connection string option charset='{TracePointRules.Show(value)}' is not supported in {url}: use charset=utf8mb4 (or utf8, utf8mb3).");
                    break;
                case "connect_timeout":
                    b.ConnectionTimeout = (uint)Math.Ceiling(url.GetSeconds(key)!.Value.TotalSeconds);
                    break;
                case "read_timeout" or "write_timeout":
                    break; // the command timeout, below
                case "unix_socket":
                    b.Server = value;
                    b.ConnectionProtocol = MySqlConnectionProtocol.UnixSocket;
                    break;
                case "ssl_mode" or "ssl-mode" or "sslmode":
                    b.SslMode = value.ToLowerInvariant().Replace("-", "_") switch
                    {
                        "disabled" or "disable" or "none" => MySqlSslMode.None,
                        "preferred" or "prefer" => MySqlSslMode.Preferred,
                        "required" or "require" => MySqlSslMode.Required,
                        "verify_ca" => MySqlSslMode.VerifyCA,
                        "verify_identity" or "verify_full" => MySqlSslMode.VerifyFull,
                        _ => throw new FormatException(
                            $"Connection string option {key}='{TracePointRules.Show(value)}' is not an SSL mode in {url}: use disabled, preferred, required, verify_ca or verify_identity."),
                    };
                    break;
                case "ssl_ca":
                    b.SslCa = value;
                    break;
                case "ssl_cert":
                    b.SslCert = value;
                    break;
                case "ssl_key":
                    b.SslKey = value;
                    break;
                case "program_name" or "application_name":
                    b.ApplicationName = value;
                    break;
                // SQLAlchemy/PyMySQL options without a meaning here (autocommit, local_infile, binary_prefix …).
            }
        }
        b.DefaultCommandTimeout = (uint)TimeoutOf(url).Seconds;
        return b.ConnectionString;
    }

    /// <summary>
    /// The command timeout (MySqlConnector's <c>DefaultCommandTimeout</c>, whole seconds): the larger of the URL's
    /// <c>read_timeout</c> and <c>write_timeout</c> (PyMySQL's names; one timeout serves both here), else
    /// <see cref="DefaultCommandTimeout"/>.
    /// </summary>
    public override SqlTimeout Timeout(ConnectionString connectionString) => TimeoutOf(connectionString);

    private static SqlTimeout TimeoutOf(ConnectionString connectionString)
    {
        SqlTimeout? found = null;
        foreach (var key in connectionString.Query.Keys)
        {
            var option = key.ToLowerInvariant();
            if (option is not ("read_timeout" or "write_timeout")) continue;
            var seconds = Math.Ceiling(connectionString.GetSeconds(key)!.Value.TotalSeconds);
            if (found is null || seconds > found.Value.Seconds) found = new SqlTimeout(seconds, option, true);
        }
        return found ?? new SqlTimeout(DefaultCommandTimeout, "read_timeout", false);
    }

    /// <summary>
    /// MySqlConnector's command timeout: a <see cref="MySqlException"/> with <see cref="MySqlErrorCode.CommandTimeoutExpired"/>
    /// (the query was killed, or the connection closed when that failed), or a <see cref="TimeoutException"/> under one.
    /// </summary>
    public override bool IsTimeout(Exception exception) =>
        exception is MySqlException { ErrorCode: MySqlErrorCode.CommandTimeoutExpired }
        || exception is MySqlException { InnerException: TimeoutException };

    public override async Task<bool> TableExistsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'data'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) > 0;
    }

    protected override string TableCountQuery =>
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = @table";

    public override string InsertPin => "INSERT IGNORE INTO profiler_pins (base_id, pinned_at) VALUES (@base_id, @pinned_at)";

    /// <summary>InnoDB's estimate of data and index bytes of <c>data</c> (refreshed by the server's statistics).</summary>
    public override string SizeQuery =>
        "SELECT data_length + index_length FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'data'";

    public override async Task CheckServerAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT VERSION()";
        var version = Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) ?? "";
        if (VersionProblem(version) is { } problem)
            throw new TraceStoreException($"Cannot use {Describe((MySqlConnection)connection)}: {problem}");
    }

    /// <summary>Reads a <c>VERSION()</c> text: MariaDB (also behind the <c>5.5.5-</c> replication prefix) or MySQL, and its version.</summary>
    internal static (bool MariaDb, Version Version)? ParseVersion(string text)
    {
        var mariaDb = text.Contains("mariadb", StringComparison.OrdinalIgnoreCase);
        if (mariaDb && text.StartsWith("5.5.5-", StringComparison.Ordinal)) text = text[6..];
        var match = VersionPattern().Match(text);
        if (!match.Success) return null;
        var version = new Version(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            match.Groups[3].Success ? int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture) : 0);
        return (mariaDb, version);
    }

    /// <summary>Null when the server can hold the table; else what is wrong, naming the version found and the minimum.</summary>
    internal static string? VersionProblem(string versionText)
    {
        var shown = TracePointRules.Show(versionText);
        if (ParseVersion(versionText) is not { } parsed)
            return $"server version '{shown}' is not a MySQL or MariaDB version; Profiler needs MySQL {MinimumMySql} or later, or MariaDB {MinimumMariaDb} or later.";
        if (parsed.MariaDb && parsed.Version < MinimumMariaDb)
            return $"MariaDB {parsed.Version} (server version '{shown}') is too old: Profiler needs MariaDB {MinimumMariaDb} or later for the JSON column.";
        if (!parsed.MariaDb && parsed.Version < MinimumMySql)
            return $"MySQL {parsed.Version} (server version '{shown}') is too old: Profiler needs MySQL {MinimumMySql} or later for the JSON column.";
        return null;
    }

    [GeneratedRegex(@"^\s*(\d+)\.(\d+)(?:\.(\d+))?")]
    private static partial Regex VersionPattern();

    /// <summary>MySQL has no <c>CREATE INDEX IF NOT EXISTS</c>: only the table is made idempotent; a duplicate index is ignored.</summary>
    public override string AdaptDdl(string statement) =>
        statement.Replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", StringComparison.Ordinal);

    /// <summary>1050 table exists, 1061 duplicate key name.</summary>
    public override bool IsAlreadyExists(DbException exception) =>
        exception is MySqlException { Number: 1050 or 1061 };

    public override string Describe(ConnectionString connectionString)
    {
        var b = new MySqlConnectionStringBuilder(BuildConnectionString(connectionString));
        return Describe(b);
    }

    private static string Describe(MySqlConnection connection) => Describe(new MySqlConnectionStringBuilder(connection.ConnectionString));

    private static string Describe(MySqlConnectionStringBuilder b) =>
        $"MySQL/MariaDB database '{b.Database}' on {Where(b)} as user '{b.UserID}'";

    private static string Where(MySqlConnectionStringBuilder b) =>
        b.ConnectionProtocol == MySqlConnectionProtocol.UnixSocket ? $"socket {b.Server}" : $"{b.Server}:{b.Port}";

    public override string? Explain(Exception exception, ConnectionString connectionString, SqlOperation operation)
    {
        if (exception is not MySqlException e) return null;
        var b = new MySqlConnectionStringBuilder(BuildConnectionString(connectionString));
        string db = b.Database, user = b.UserID;
        var grantee = $"'{user}'@'%'";
        switch (e.Number)
        {
            case 1049: // ER_BAD_DB_ERROR
                return $"database '{db}' does not exist on {connectionString.Scheme} {Where(b)} " +
                       $"(create it: CREATE DATABASE `{db}` CHARACTER SET utf8mb4; GRANT SELECT, INSERT, CREATE, INDEX ON `{db}`.* TO {grantee})";
            case 1044 when operation is SqlOperation.CreateTable or SqlOperation.CreatePinTable or SqlOperation.CreateBatchTable: // MariaDB refuses CREATE TABLE at the database level
                return $"user '{user}' lacks CREATE on {db}.{Table(operation)} " +
                       $"(grant it: GRANT CREATE, INDEX ON `{db}`.* TO {grantee} (needed only while table {Table(operation)} is missing), or create the table beforehand) [{e.Message}]";
            case 1044: // ER_DBACCESS_DENIED_ERROR: no privilege at all on the database, or it does not exist
                return $"user '{user}' has no privilege on database '{db}', or the database does not exist " +
                       $"(create it if missing: CREATE DATABASE `{db}` CHARACTER SET utf8mb4; then GRANT SELECT, INSERT, CREATE, INDEX ON `{db}`.* TO {grantee}) [{e.Message}]";
            case 1045: // ER_ACCESS_DENIED_ERROR
                return $"the server refused user '{user}': wrong user name or password, or the user may not connect from this host [{e.Message}]";
            case 1142 or 1143 or 1227: // table, column, global privilege denied
            {
                var match = DeniedPattern().Match(e.Message);
                var privilege = match.Success ? match.Groups[1].Value.ToUpperInvariant() : Privilege(operation);
                var table = Table(operation);
                var grant = privilege is "CREATE" or "INDEX"
                    ? $"GRANT CREATE, INDEX ON `{db}`.* TO {grantee} (needed only while table {table} is missing)"
                    : $"GRANT {privilege} ON `{db}`.`{table}` TO {grantee}";
                return $"user '{user}' lacks {privilege} on {db}.{table} (grant it: {grant}) [{e.Message}]";
            }
            case 1042: // unable to connect
                return $"no server answers at {Where(b)} ({e.Message})";
            default:
                return null;
        }
    }

    private static string Privilege(SqlOperation operation) => operation switch
    {
        SqlOperation.CreateTable or SqlOperation.CreatePinTable or SqlOperation.CreateBatchTable => "CREATE",
        SqlOperation.Pin => "INSERT",
        SqlOperation.Write or SqlOperation.ClaimBatch => "INSERT",
        SqlOperation.Delete => "DELETE",
        _ => "SELECT",
    };

    private static string Table(SqlOperation operation) =>
        operation is SqlOperation.CreatePinTable or SqlOperation.Pin ? TraceLifecycle.PinTable
        : operation is SqlOperation.CreateBatchTable or SqlOperation.ClaimBatch ? SqlBatchLog.Table : "data";

    [GeneratedRegex(@"^(\w+) command denied", RegexOptions.IgnoreCase)]
    private static partial Regex DeniedPattern();
}
