using Microsoft.Data.Sqlite;
using MySqlConnector;
using Npgsql;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql.Tests;

public sealed class SqlConnectionStringTests
{
    /// <summary>What a host without a port maps to; no server is contacted in these tests.</summary>
    private const int PostgresDefaultPort = 5432;

    [Theory]
    [InlineData("mysql")]
    [InlineData("mysql+pymysql")]
    [InlineData("mysql+mysqldb")]
    [InlineData("mariadb")]
    public void The_MySQL_driver_serves_SQLAlchemys_MySQL_schemes(string scheme) =>
        Assert.Contains(scheme, new MySqlDriver().Schemes);

    [Theory]
    [InlineData("postgresql")]
    [InlineData("postgresql+psycopg2")]
    [InlineData("postgres")]
    public void The_PostgreSQL_driver_serves_SQLAlchemys_PostgreSQL_schemes(string scheme) =>
        Assert.Contains(scheme, new PostgresDriver().Schemes);

    [Fact]
    public void A_MySQL_URL_maps_user_password_host_port_and_database()
    {
        var b = new MySqlConnectionStringBuilder(MySqlDialect.BuildConnectionString(
            ConnectionString.Parse("mysql+pymysql://osprofiler:p%40ss@db.example:3307/profiler?charset=utf8&autocommit=true")));

        Assert.Equal(("db.example", 3307u, "profiler", "osprofiler", "p@ss"), (b.Server, b.Port, b.Database, b.UserID, b.Password));
    }

    [Fact]
    public void A_MySQL_URL_defaults_to_port_3306_and_takes_a_unix_socket_option()
    {
        var plain = new MySqlConnectionStringBuilder(MySqlDialect.BuildConnectionString(ConnectionString.Parse("mysql://u:p@db/profiler")));
        var socket = new MySqlConnectionStringBuilder(MySqlDialect.BuildConnectionString(
            ConnectionString.Parse("mysql://u:p@localhost/profiler?unix_socket=/run/mysqld/mysqld.sock&charset=utf8mb4")));

        Assert.Equal(3306u, plain.Port);
        Assert.Equal(("/run/mysqld/mysqld.sock", MySqlConnectionProtocol.UnixSocket), (socket.Server, socket.ConnectionProtocol));
    }

    [Theory]
    [InlineData("mysql://u:secretpw@db/profiler?charset=latin1", "charset='latin1'", "utf8mb4")]
    [InlineData("mysql://u:secretpw@db", "names no database", "/database")]
    [InlineData("mysql://u:secretpw@db/profiler?ssl_mode=sometimes", "ssl_mode='sometimes'", "verify_identity")]
    [InlineData("postgresql://u:secretpw@db", "names no database", "/database")]
    [InlineData("postgresql://u:secretpw@db/profiler?sslmode=sometimes", "sslmode='sometimes'", "verify-full")]
    [InlineData("postgresql://u:secretpw@db/profiler?client_encoding=latin1", "client_encoding='latin1'", "utf8")]
    [InlineData("postgresql://u:secretpw@db/profiler?target_session_attrs=leader", "target_session_attrs='leader'", "prefer-standby")]
    [InlineData("mysql://u:secretpw@db/profiler?read_timeout=soon", "read_timeout='soon'", "between 0 and 3600")]
    [InlineData("mysql://u:secretpw@db/profiler?write_timeout=0", "write_timeout='0'", "between 0 and 3600")]
    [InlineData("postgresql://u:secretpw@db/profiler?command_timeout=-1", "command_timeout='-1'", "between 0 and 3600")]
    [InlineData("postgresql://u:secretpw@db/profiler?command_timeout=1h", "command_timeout='1h'", "between 0 and 3600")]
    [InlineData("sqlite:////tmp/profiler.db?timeout=forever", "timeout='forever'", "between 0 and 3600")]
    [InlineData("postgresql://u:secretpw@127.0.0.1:1/db?connect_timeout=2000", "connect_timeout='2000'", "from 1 to 1024")]
    [InlineData("postgresql://u:secretpw@db/profiler?connect_timeout=1024.5", "connect_timeout='1024.5'", "from 1 to 1024")]
    [InlineData("postgresql://u:secretpw@db/profiler?connect_timeout=0", "connect_timeout='0'", "from 1 to 1024")]
    [InlineData("postgresql://u:secretpw@db/profiler?connect_timeout=soon", "connect_timeout='soon'", "from 1 to 1024")]
    public void Bad_options_are_refused_at_open_naming_the_value_and_what_would_be_accepted(string url, string named, string accepted)
    {
        var cs = ConnectionString.Parse(url);
        ITraceStoreDriver driver = cs.Scheme.StartsWith("mysql") ? new MySqlDriver()
            : cs.Scheme == "sqlite" ? new SqliteDriver() : new PostgresDriver();

        var e = Assert.Throws<FormatException>(() => driver.Open(cs, new DriverSettings()));

        Assert.Contains(named, e.Message);
        Assert.Contains(accepted, e.Message);
        Assert.DoesNotContain("secretpw", e.Message);
    }

    [Fact]
    public void A_PostgreSQL_URL_maps_user_password_hosts_port_database_and_libpq_options()
    {
        var one = new NpgsqlConnectionStringBuilder(PostgresDialect.BuildConnectionString(
            ConnectionString.Parse("postgresql+psycopg2://osprofiler:pw@db.example/profiler?sslmode=require&connect_timeout=3&keepalives=1")));
        var many = new NpgsqlConnectionStringBuilder(PostgresDialect.BuildConnectionString(
            ConnectionString.Parse("postgres://u:pw@a:5433,b/profiler?target_session_attrs=Read-Write")));
        var socket = new NpgsqlConnectionStringBuilder(PostgresDialect.BuildConnectionString(
            ConnectionString.Parse("postgresql://u:pw@/profiler?host=/var/run/postgresql")));

        Assert.Equal(("db.example", 5432, "profiler", "osprofiler", "pw", SslMode.Require, 3),
            (one.Host, one.Port, one.Database, one.Username, one.Password, one.SslMode, one.Timeout));
        Assert.Equal($"a:5433,b:{PostgresDefaultPort}", many.Host);
        Assert.Equal("read-write", many.TargetSessionAttributes);
        Assert.Equal("/var/run/postgresql", socket.Host);
    }

    [Theory]
    [InlineData("mysql://u:pw@db/profiler", 30u)]
    [InlineData("mysql://u:pw@db/profiler?read_timeout=1", 1u)]
    [InlineData("mysql://u:pw@db/profiler?read_timeout=0.2", 1u)]
    [InlineData("mysql://u:pw@db/profiler?read_timeout=5&write_timeout=60", 60u)]
    [InlineData("mysql://u:pw@db/profiler?write_timeout=2&read_timeout=90", 90u)]
    public void A_MySQL_URLs_read_timeout_or_write_timeout_sets_the_command_timeout_up_or_down(string url, uint seconds) =>
        Assert.Equal(seconds, new MySqlConnectionStringBuilder(MySqlDialect.BuildConnectionString(ConnectionString.Parse(url))).DefaultCommandTimeout);

    [Theory]
    [InlineData("postgresql://u:pw@db/profiler", 30)]
    [InlineData("postgresql://u:pw@db/profiler?command_timeout=1", 1)]
    [InlineData("postgresql://u:pw@db/profiler?command_timeout=120&connect_timeout=3", 120)]
    public void A_PostgreSQL_URLs_command_timeout_sets_the_command_timeout(string url, int seconds) =>
        Assert.Equal(seconds, new NpgsqlConnectionStringBuilder(PostgresDialect.BuildConnectionString(ConnectionString.Parse(url))).CommandTimeout);

    [Theory]
    [InlineData("postgresql://u:pw@db/profiler?connect_timeout=3", 3)]
    [InlineData("postgresql://u:pw@db/profiler?connect_timeout=0.5", 1)]
    [InlineData("postgresql://u:pw@db/profiler?connect_timeout=1024", 1024)]
    public void A_PostgreSQL_URLs_connect_timeout_up_to_Npgsqls_1024_seconds_sets_the_connect_timeout(string url, int seconds) =>
        Assert.Equal(seconds, new NpgsqlConnectionStringBuilder(PostgresDialect.BuildConnectionString(ConnectionString.Parse(url))).Timeout);

    [Theory]
    [InlineData("sqlite:////tmp/profiler.db", 30)]
    [InlineData("sqlite:////tmp/profiler.db?timeout=5", 5)]
    [InlineData("sqlite:////tmp/profiler.db?timeout=0.5", 1)]
    public void A_SQLite_URLs_timeout_sets_the_busy_timeout(string url, int seconds) =>
        Assert.Equal(seconds, new SqliteConnectionStringBuilder(SqliteDialect.BuildConnectionString(ConnectionString.Parse(url))).DefaultTimeout);

    [Theory]
    [InlineData("mysql://u:pw@db/profiler", "read_timeout not set: 30 s by default")]
    [InlineData("mysql://u:pw@db/profiler?read_timeout=5&write_timeout=60", "write_timeout=60")]
    [InlineData("postgresql://u:pw@db/profiler?command_timeout=7", "command_timeout=7")]
    [InlineData("sqlite:////tmp/profiler.db?timeout=2.5", "timeout=3")]
    public void A_timeout_is_named_by_the_URL_option_that_sets_it_and_its_value(string url, string shown)
    {
        var cs = ConnectionString.Parse(url);
        SqlDialect dialect = cs.Scheme.StartsWith("mysql") ? new MySqlDialect() : cs.Scheme == "sqlite" ? new SqliteDialect() : new PostgresDialect();

        Assert.Equal(shown, dialect.Timeout(cs).ToString());
    }

    [Fact]
    public async Task Opening_a_store_does_not_touch_the_network()
    {
        // Nothing listens on port 1: opening must still succeed; the first use fails.
        await using var store = new MySqlDriver().Open(ConnectionString.Parse("mysql://u:pw@127.0.0.1:1/profiler"), new DriverSettings());
        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.ListTracesAsync(new TraceListQuery(1), CancellationToken.None));
        Assert.Contains("127.0.0.1:1", e.Message);
    }
}
