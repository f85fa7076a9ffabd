using System.Data.Common;
using Microsoft.Data.Sqlite;
using MySqlConnector;
using Npgsql;
using Profiler.Domain;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>
/// Inserts points as OSProfiler's SQL driver does: rows of table <c>data</c> only (no summary), the host column from
/// the point's <c>info.host</c>. The search tests use it for traces another writer stored.
/// </summary>
internal static class OsProfilerRows
{
    public static async Task InsertAsync(string url, IReadOnlyList<TracePoint> points)
    {
        var cs = ConnectionString.Parse(url);
        await using DbConnection connection = cs.Scheme switch
        {
            "sqlite" => new SqliteConnection(SqliteDialect.BuildConnectionString(cs)),
            "postgresql" or "postgres" or "postgresql+psycopg2" => new NpgsqlConnection(PostgresDialect.BuildConnectionString(cs)),
            _ => new MySqlConnection(MySqlDialect.BuildConnectionString(cs)),
        };
        await connection.OpenAsync();
        foreach (var p in points)
        {
            await using var command = connection.CreateCommand();
            var json = cs.Scheme.StartsWith("postgres", StringComparison.Ordinal) ? "CAST(@data AS json)" : "@data";
            command.CommandText = $"INSERT INTO data ({DataColumns.Names}) VALUES (@timestamp, @base_id, @parent_id, @trace_id, @project, @host, @service, @name, {json})";
            SqlParameters.Add(command, "@timestamp", p.Timestamp);
            SqlParameters.Add(command, "@base_id", p.BaseId);
            SqlParameters.Add(command, "@parent_id", p.ParentId);
            SqlParameters.Add(command, "@trace_id", p.TraceId);
            SqlParameters.Add(command, "@project", p.Project);
            SqlParameters.Add(command, "@host", p.Host);
            SqlParameters.Add(command, "@service", p.Service);
            SqlParameters.Add(command, "@name", p.Name);
            SqlParameters.Add(command, "@data", OsProfilerData.Encode(p));
            await command.ExecuteNonQueryAsync();
        }
    }
}
