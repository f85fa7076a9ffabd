using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace Profiler.Infrastructure.Sql;

/// <summary>A row of OSProfiler's <c>data</c> table (docs/osprofiler-formats.md §3).</summary>
internal sealed class DataRow
{
    public int Id { get; set; }
    public string? Timestamp { get; set; }
    public string? BaseId { get; set; }
    public string? ParentId { get; set; }
    public string? TraceId { get; set; }
    public string? Project { get; set; }
    public string? Host { get; set; }
    public string? Service { get; set; }
    public string? Name { get; set; }
    /// <summary>The point less the eight columns (<c>{"info": …}</c>), stored double-encoded as OSProfiler does.</summary>
    public string? Data { get; set; }
}

/// <summary>
/// One open connection of a store, from <see cref="SqlDatabase.OpenAsync"/>; disposing it closes the connection (back
/// to the provider's pool). Plain ADO.NET: opening a store builds no EF Core model (that took most of a short
/// command's start-up). <c>db.Database.GetDbConnection()</c> reads as it did when this was an EF Core context.
/// </summary>
internal sealed class TraceDbContext(DbConnection connection, SqlDialect dialect) : IAsyncDisposable, IDisposable
{
    public SqlDialect Dialect { get; } = dialect;

    /// <summary>This connection, as <c>Database.GetDbConnection()</c>.</summary>
    public ConnectionAccess Database { get; } = new(connection);

    public ValueTask DisposeAsync() => connection.DisposeAsync();

    public void Dispose() => connection.Dispose();

    /// <summary>The connection of a <see cref="TraceDbContext"/>.</summary>
    internal sealed class ConnectionAccess(DbConnection connection)
    {
        /// <summary>The open connection.</summary>
        public DbConnection GetDbConnection() => connection;
    }
}

/// <summary>
/// The one EF Core model of the <c>data</c> table, shared by every SQL dialect. Built only to generate the DDL of a
/// missing table (<see cref="SqlSchema"/>); rows are written and read by plain commands.
/// </summary>
internal sealed class TraceModelContext(DbContextOptions<TraceModelContext> options, SqlDialect dialect) : DbContext(options)
{
    public SqlDialect Dialect { get; } = dialect;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var row = modelBuilder.Entity<DataRow>();
        row.ToTable("data");
        row.HasKey(r => r.Id);
        row.Property(r => r.Id).HasColumnName("id").ValueGeneratedOnAdd();
        row.Property(r => r.Timestamp).HasColumnName("timestamp").HasMaxLength(26).HasColumnType("varchar(26)");
        foreach (var (property, column) in new (string, string)[]
                 {
                     (nameof(DataRow.BaseId), "base_id"), (nameof(DataRow.ParentId), "parent_id"),
                     (nameof(DataRow.TraceId), "trace_id"), (nameof(DataRow.Project), "project"),
                     (nameof(DataRow.Host), "host"), (nameof(DataRow.Service), "service"), (nameof(DataRow.Name), "name"),
                 })
            row.Property<string?>(property).HasColumnName(column).HasMaxLength(255).HasColumnType("varchar(255)");
        row.Property(r => r.Data).HasColumnName("data").HasColumnType(Dialect.JsonColumnType);
        // SQLAlchemy's index=True names: ix_<table>_<column>.
        foreach (var column in new[] { "Timestamp", "BaseId", "ParentId", "TraceId", "Project", "Host", "Service", "Name" })
            row.HasIndex(column).HasDatabaseName("ix_data_" + ToSnake(column));
        Dialect.ConfigureModel(modelBuilder);
    }

    private static string ToSnake(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
