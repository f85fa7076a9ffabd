using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>SQLite, the embedded default: <c>sqlite:///relative.db</c>, <c>sqlite:////absolute.db</c>.</summary>
public sealed class SqliteDriver : ITraceStoreDriver
{
    public string Name => "sqlite";
    public IReadOnlyList<string> Schemes { get; } = ["sqlite"];

    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings)
    {
        SqliteDialect.FilePath(connectionString);
        return new SqlTraceStore(new SqliteDialect(), connectionString, settings);
    }
}

/// <summary>
/// MySQL ≥ 5.7.8 and MariaDB ≥ 10.2 (OSProfiler's SQLAlchemy collector):
/// <c>mysql+pymysql://user:password@host[:port]/database[?charset=utf8mb4]</c>; also <c>mysql://</c>,
/// <c>mysql+mysqldb://</c>, <c>mariadb://</c>. Port 3306 by default. The database must exist; the user needs
/// SELECT and INSERT on it, and CREATE and INDEX while table <c>data</c> is missing. See <see cref="MySqlDialect"/>.
/// </summary>
public sealed class MySqlDriver : ITraceStoreDriver
{
    public string Name => "mysql";
    public IReadOnlyList<string> Schemes { get; } = ["mysql", "mysql+pymysql", "mysql+mysqldb", "mariadb"];

    /// <summary>Checks the URL and returns a store that connects on first use (no network here).</summary>
    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) =>
        new SqlTraceStore(new MySqlDialect(), connectionString, settings);
}

/// <summary>
/// PostgreSQL ≥ 9.5 (OSProfiler's SQLAlchemy collector):
/// <c>postgresql+psycopg2://user:password@host[:port]/database</c>; also <c>postgresql://</c>, <c>postgres://</c>.
/// Port 5432 by default. The database must exist; the user needs SELECT and INSERT on table <c>data</c> (and USAGE
/// on its id sequence), and CREATE on the schema while the table is missing. See <see cref="PostgresDialect"/>.
/// </summary>
public sealed class PostgresDriver : ITraceStoreDriver
{
    public string Name => "postgresql";
    public IReadOnlyList<string> Schemes { get; } = ["postgresql", "postgresql+psycopg2", "postgres"];

    /// <summary>Checks the URL and returns a store that connects on first use (no network here).</summary>
    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) =>
        new SqlTraceStore(new PostgresDialect(), connectionString, settings);
}
