using Profiler.Testing;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>One MariaDB server for every test class in the collection; each test takes its own database.</summary>
[CollectionDefinition(Name)]
public sealed class MariaDbCollection : ICollectionFixture<MariaDbServer>
{
    public const string Name = "MariaDB server";
}

/// <summary>One PostgreSQL server for every test class in the collection; each test takes its own database.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL server";
}
