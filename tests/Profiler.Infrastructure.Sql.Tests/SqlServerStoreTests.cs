using Profiler.Storage;
using static Profiler.Infrastructure.Sql.Tests.SqlServerTestKit;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>
/// What the MySQL/MariaDB and PostgreSQL drivers must both do against a real server: reach it by every scheme, name a
/// missing database and a refused login without showing the password, write a batch whole or not at all, and list
/// error traces as OSProfiler does. One derived class a backend supplies the server.
/// </summary>
public abstract class SqlServerStoreTests
{
    /// <summary>The driver's store for a URL.</summary>
    protected abstract ITraceStore Open(string url);

    /// <summary>A new, empty database the test user owns.</summary>
    protected abstract string CreateDatabase();

    /// <summary>The URL of <paramref name="database"/>; the default scheme, user and password when not given.</summary>
    protected abstract string Url(string database, string? scheme = null, string? password = null, string? query = null);

    /// <summary>Rows in table <c>data</c> of <paramref name="database"/>, read as the server's administrator.</summary>
    protected abstract int CountRows(string database);

    /// <summary>Makes the server fail (not for the values: a trigger's own error) every insert of a row of <paramref name="baseId"/>.</summary>
    protected abstract void FailInsertsOf(string database, string baseId);

    /// <summary>The test user's name and password.</summary>
    protected abstract (string User, string Password) Login { get; }

    /// <summary>How the server is named in messages: <c>&lt;scheme&gt; 127.0.0.1:&lt;port&gt;</c>.</summary>
    protected abstract string ServerName { get; }

    /// <summary>The statement a missing-database message must suggest for <paramref name="database"/>.</summary>
    protected abstract string CreateDatabaseStatement(string database);

    /// <summary>Prepares a database name that does not exist yet (MariaDB: a grant on it, so that only its absence fails).</summary>
    protected virtual void PrepareMissing(string database) { }

    protected async Task A_scheme_and_its_options_reach_the_server(string scheme, string? query)
    {
        var db = CreateDatabase();
        await using var store = Open(Url(db, scheme, query: query));
        await store.WriteAsync(Points("b1", 2), CancellationToken.None);

        var page = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);

        Assert.Equal("b1", Assert.Single(page.Traces).BaseId);
    }

    [Fact]
    public async Task A_missing_database_is_named_with_how_to_create_it_and_never_the_password()
    {
        var db = Unique("missing");
        PrepareMissing(db);
        await using var store = Open(Url(db));

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Points("b", 2), CancellationToken.None));

        AssertMessage(e, $"database '{db}' does not exist on {ServerName}");
        AssertMessage(e, CreateDatabaseStatement(db));
        AssertMessage(e, $"user '{Login.User}'");
        Assert.DoesNotContain(Login.Password, e.ToString());
    }

    [Fact]
    public async Task A_wrong_password_is_refused_without_showing_it()
    {
        await using var store = Open(Url(CreateDatabase(), password: "Wrong-Pw-q8v1x"));

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Points("b", 2), CancellationToken.None));

        AssertMessage(e, $"refused user '{Login.User}'");
        Assert.DoesNotContain("Wrong-Pw-q8v1x", e.ToString());
    }

    [Fact]
    public async Task A_batch_spanning_several_INSERTs_is_one_transaction()
    {
        var db = CreateDatabase();
        await using var store = Open(Url(db));
        await store.ListTracesAsync(new TraceListQuery(1), CancellationToken.None);
        // A failure that is not the point's (here a trigger's error on the last row) fails the whole batch.
        FailInsertsOf(db, "boom");
        var points = Points("atomic", 4999).Append(Points("boom", 1)[0]).ToList();

        await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(points, CancellationToken.None));

        Assert.Equal(0, CountRows(db));
    }

    [Fact]
    public async Task A_point_longer_than_its_column_is_refused_alone_and_the_rest_of_a_large_batch_stored_once()
    {
        var db = CreateDatabase();
        await using var store = Open(Url(db));
        var points = Points("atomic", 4999).Append(Points("atomic", 1, name: new string('n', 300))[0]).ToList();
        var batch = Guid.NewGuid();

        var e = await Assert.ThrowsAsync<TracePointsRefusedException>(() => store.WriteAsync(points, batch, CancellationToken.None));
        var again = await Assert.ThrowsAsync<TracePointsRefusedException>(() => store.WriteAsync(points, batch, CancellationToken.None));

        Assert.Equal([4999], e.Refused);
        Assert.Equal([4999], again.Refused);
        AssertMessage(e, "name");
        Assert.Equal(4999, CountRows(db));
    }

    [Fact]
    public async Task Only_a_stop_point_with_an_etype_key_marks_an_error_trace()
    {
        await using var store = Open(Url(CreateDatabase()));
        await store.WriteAsync(ErrorListingPoints(), CancellationToken.None);

        var page = await store.ListTracesAsync(new TraceListQuery(10, ErrorsOnly: true), CancellationToken.None);

        Assert.Equal(["failed"], page.Traces.Select(t => t.BaseId));
    }
}
