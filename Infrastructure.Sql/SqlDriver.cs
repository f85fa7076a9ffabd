using Profiler.Application.Ports;
using Profiler.Domain;

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
