namespace Profiler.Testing;

/// <summary>
/// A throw-away MariaDB server (mariadb-install-db + mariadbd) in a temporary directory, on a free loopback
/// port with its unix socket inside that directory, with a login <see cref="User"/>/<see cref="Password"/>.
/// Share one per test class or collection (xunit fixture); give each test its own database.
/// </summary>
public sealed class MariaDbServer : IDisposable
{
    public const string User = "profiler";
    /// <summary>Distinctive, so a test can assert it never appears in a message.</summary>
    public const string Password = "Pw-7yQz3kVb9";

    private readonly TempDirectory _dir = new("profiler-mariadb-");
    private ServerProcess _server;
    private readonly string _client;
    private readonly string _mariadbd = "";
    private string[] _arguments = [];

    public MariaDbServer()
    {
        var installDb = ServerProcess.Require("mariadb-install-db", "mariadb-server", "/usr/bin", "/usr/sbin");
        var mariadbd = ServerProcess.Require("mariadbd", "mariadb-server", "/usr/sbin", "/usr/bin");
        _client = ServerProcess.Require("mariadb", "mariadb-client", "/usr/bin");
        var data = System.IO.Path.Combine(_dir.Path, "data");
        Socket = System.IO.Path.Combine(_dir.Path, "mariadb.sock");
        try
        {
            ServerProcess.Run(installDb,
            [
                "--no-defaults", "--auth-root-authentication-method=normal", $"--datadir={data}", "--user=root",
                "--skip-test-db", "--skip-name-resolve",
            ], _dir.Path, timeout: TimeSpan.FromMinutes(3));
            _mariadbd = mariadbd;
            _server = ServerProcess.StartOnFreePort(port =>
            {
                _arguments =
                [
                    "--no-defaults", $"--datadir={data}", $"--port={port}", "--bind-address=127.0.0.1", $"--socket={Socket}",
                    $"--pid-file={System.IO.Path.Combine(_dir.Path, "mariadb.pid")}", "--user=root", "--skip-name-resolve",
                    "--skip-log-bin", "--innodb-buffer-pool-size=128M", "--innodb-flush-log-at-trx-commit=2",
                    "--innodb-doublewrite=0", "--max-connections=300", "--performance-schema=OFF",
                ];
                return StartServer(port);
            }, out var chosen);
            Port = chosen;
            Admin($"CREATE USER '{User}'@'%' IDENTIFIED BY '{Password}'");
        }
        catch
        {
            _server?.Dispose();
            _dir.Dispose();
            throw;
        }
    }

    public int Port { get; }
    public string Socket { get; }

    /// <summary>
    /// Starts mariadbd and returns once it answers on its unix socket: mariadbd listens on TCP a moment before it
    /// creates the socket, so an open port alone is not enough for <see cref="Admin"/>.
    /// </summary>
    private ServerProcess StartServer(int port) =>
        ServerProcess.Start("mariadbd", _mariadbd, _arguments, port, _dir.Path, timeout: TimeSpan.FromSeconds(90),
            ready: _ => Admin("SELECT 1"));


    /// <summary>Runs SQL as root over the unix socket; returns tab-separated rows.</summary>
    public string Admin(string sql, string? database = null) =>
        ServerProcess.Run(_client,
            new[] { "--no-defaults", $"--socket={Socket}", "-uroot", "--batch", "--skip-column-names", "-e", sql }
                .Concat(database is null ? [] : [database]), _dir.Path);

    /// <summary>A fresh database on which <see cref="User"/> holds every privilege.</summary>
    public string CreateDatabase(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)];
        Admin($"CREATE DATABASE `{name}` CHARACTER SET utf8mb4; GRANT ALL ON `{name}`.* TO '{User}'@'%'");
        return name;
    }

    /// <summary>A SQLAlchemy URL for <paramref name="database"/> as <see cref="User"/>.</summary>
    public string Url(string database, string scheme = "mysql+pymysql", string user = User, string password = Password, string? query = null) =>
        $"{scheme}://{user}:{password}@127.0.0.1:{Port}/{database}" + (query is null ? "" : "?" + query);

    public string Output => _server.Output;

    /// <summary>Kills the server (SIGKILL): clients see their connections drop mid-traffic.</summary>
    public void Kill() => _server.Kill();

    /// <summary>Starts the server again on the same port and data (InnoDB recovers what was committed).</summary>
    public void Restart()
    {
        _server.Dispose();
        _server = StartServer(Port);
    }

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }
}

/// <summary>
/// A throw-away PostgreSQL server (initdb + postgres from /usr/lib/postgresql/&lt;version&gt;/bin) in a temporary
/// directory, on a free loopback port, its unix socket inside that directory, with a login
/// <see cref="User"/>/<see cref="Password"/> (scram over TCP). Run as the <c>postgres</c> user when the tests run as
/// root (postgres refuses root). Share one per test class or collection; give each test its own database.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string User = "profiler";
    /// <summary>Distinctive, so a test can assert it never appears in a message.</summary>
    public const string Password = "Pw-4mXr8tLc2";

    private const string BinDirs = "/usr/lib/postgresql/*/bin";
    private readonly TempDirectory _dir = new("profiler-postgres-");
    private readonly ServerProcess _server;
    private readonly string _psql;

    public PostgresServer()
    {
        var initdb = ServerProcess.Require("initdb", "postgresql", BinDirs);
        var postgres = ServerProcess.Require("postgres", "postgresql", BinDirs);
        _psql = ServerProcess.Require("psql", "postgresql-client", "/usr/bin", BinDirs);
        var data = System.IO.Path.Combine(_dir.Path, "data");
        try
        {
            string file;
            List<string> prefix = [];
            if (Environment.IsPrivilegedProcess)
            {
                // postgres will not run as root: hand the directory to the postgres user and drop privileges.
                var setpriv = ServerProcess.Require("setpriv", "util-linux", "/usr/bin", "/bin");
                ServerProcess.Run("chown", ["-R", "postgres:postgres", _dir.Path]);
                file = setpriv;
                prefix = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--"];
            }
            else file = "";
            string Exe(string path) => file.Length > 0 ? file : path;
            IEnumerable<string> Args(string path, params string[] args) => file.Length > 0 ? [.. prefix, path, .. args] : args;

            ServerProcess.Run(Exe(initdb), Args(initdb, "-D", data, "-U", "postgres", "--auth-local=trust",
                "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"), _dir.Path,
                timeout: TimeSpan.FromMinutes(3));
            // The port opens before startup ends ("the database system is starting up"): ready once a query runs.
            _server = ServerProcess.StartOnFreePort(port =>
                ServerProcess.Start("postgres", Exe(postgres), Args(postgres, "-D", data, "-p", port.ToString(),
                    "-k", _dir.Path, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                    "-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "shared_buffers=64MB"), port, _dir.Path,
                    timeout: TimeSpan.FromSeconds(60), ready: _ => AdminOn(port, "SELECT 1")), out var chosen);
            Port = chosen;
            Admin($"CREATE ROLE {User} LOGIN PASSWORD '{Password}'");
        }
        catch
        {
            _server?.Dispose();
            _dir.Dispose();
            throw;
        }
    }

    public int Port { get; }

    /// <summary>The directory holding the server's unix socket.</summary>
    public string SocketDirectory => _dir.Path;

    /// <summary>Runs SQL as the superuser over the unix socket; returns unaligned rows.</summary>
    public string Admin(string sql, string database = "postgres") => AdminOn(Port, sql, database);

    private string AdminOn(int port, string sql, string database = "postgres") =>
        ServerProcess.Run(_psql, ["-h", _dir.Path, "-p", port.ToString(), "-U", "postgres", "-d", database,
            "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-c", sql], _dir.Path);

    /// <summary>A fresh database owned by <see cref="User"/>.</summary>
    public string CreateDatabase(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)];
        Admin($"CREATE DATABASE {name} OWNER {User}");
        return name;
    }

    /// <summary>A SQLAlchemy URL for <paramref name="database"/> as <see cref="User"/>.</summary>
    public string Url(string database, string scheme = "postgresql+psycopg2", string user = User, string password = Password, string? query = null) =>
        $"{scheme}://{user}:{password}@127.0.0.1:{Port}/{database}" + (query is null ? "" : "?" + query);

    public string Output => _server.Output;

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }
}
