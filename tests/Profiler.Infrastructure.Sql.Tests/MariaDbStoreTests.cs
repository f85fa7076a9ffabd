using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using static Profiler.Infrastructure.Sql.Tests.SqlServerTestKit;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>The MySQL/MariaDB driver against a real MariaDB: version check, schema, errors, batching.</summary>
[Collection(MariaDbCollection.Name)]
public sealed class MariaDbStoreTests(MariaDbServer server) : SqlServerStoreTests
{
    protected override ITraceStore Open(string url) => new MySqlDriver().Open(ConnectionString.Parse(url), new DriverSettings());
    protected override string CreateDatabase() => server.CreateDatabase();
    protected override string Url(string database, string? scheme = null, string? password = null, string? query = null) =>
        server.Url(database, scheme ?? "mysql+pymysql", password: password ?? MariaDbServer.Password, query: query);
    protected override int CountRows(string database) => int.Parse(server.Admin("SELECT COUNT(*) FROM data", database).Trim());
    protected override void FailInsertsOf(string database, string baseId) => server.Admin(
        // One statement (the client splits on ';'): a subquery of two rows is error 1242, for that trace's rows only.
        $"CREATE TRIGGER fail_inserts BEFORE INSERT ON data FOR EACH ROW SET @failed = (SELECT IF(NEW.base_id = '{baseId}', (SELECT 1 UNION SELECT 2), 0))", database);
    protected override (string User, string Password) Login => (MariaDbServer.User, MariaDbServer.Password);
    protected override string ServerName => $"mysql+pymysql 127.0.0.1:{server.Port}";
    protected override string CreateDatabaseStatement(string database) => $"CREATE DATABASE `{database}`";
    protected override void PrepareMissing(string database) => server.Admin($"GRANT ALL ON `{database}`.* TO '{MariaDbServer.User}'@'%'");

    private string CreateUser(string database, string grants)
    {
        var user = Unique("u");
        server.Admin($"CREATE USER '{user}'@'%' IDENTIFIED BY 'Other-{MariaDbServer.Password}'" +
                     (grants.Length > 0 ? $"; GRANT {grants} ON `{database}`.* TO '{user}'@'%'" : ""));
        return user;
    }

    [Fact]
    public async Task A_real_MariaDB_passes_the_version_check_and_gets_OSProfilers_table_indexes_and_JSON_column()
    {
        var db = server.CreateDatabase();
        var fixture = FixtureTrace.Load("simple", "mysql");
        await using (var store = Open(server.Url(db)))
            await store.WriteAsync(fixture.Points, CancellationToken.None);

        var columns = server.Admin($"SELECT column_name, column_type FROM information_schema.columns WHERE table_schema = '{db}' AND table_name = 'data' ORDER BY column_name")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToDictionary(c => c[0], c => c[1]);
        Assert.Equal(["base_id", "data", "host", "id", "name", "parent_id", "project", "service", "timestamp", "trace_id"], columns.Keys);
        Assert.Equal(("varchar(26)", "varchar(255)", "longtext"), (columns["timestamp"], columns["base_id"], columns["data"]));
        Assert.Contains("json_valid(`data`)", server.Admin("SHOW CREATE TABLE data", db));
        var indexes = server.Admin($"SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = '{db}' AND table_name = 'data'")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order();
        Assert.Equal(["PRIMARY", "ix_data_base_id", "ix_data_host", "ix_data_name", "ix_data_parent_id", "ix_data_project",
            "ix_data_service", "ix_data_timestamp", "ix_data_trace_id"], indexes);
        // Double-encoded as OSProfiler stores it: the JSON value is a string.
        Assert.Equal("STRING", server.Admin($"SELECT DISTINCT JSON_TYPE(data) FROM data", db).Trim());
    }

    [Theory]
    [InlineData("mysql", null)]
    [InlineData("mysql+pymysql", "charset=utf8")]
    [InlineData("mysql+mysqldb", "charset=utf8mb4&binary_prefix=true")]
    [InlineData("mariadb", "charset=utf8mb4&connect_timeout=30")]
    public Task Every_MySQL_scheme_and_SQLAlchemy_option_reaches_the_server(string scheme, string? query) =>
        A_scheme_and_its_options_reach_the_server(scheme, query);

    [Fact]
    public async Task A_database_the_user_has_no_privilege_on_is_named_with_the_user_and_the_grant_needed()
    {
        var db = server.CreateDatabase();
        var user = CreateUser(db, "");
        await using var store = Open(server.Url(db, user: user, password: $"Other-{MariaDbServer.Password}"));

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.ListTracesAsync(new TraceListQuery(1), CancellationToken.None));

        AssertMessage(e, $"user '{user}' has no privilege on database '{db}'");
        AssertMessage(e, $"GRANT SELECT, INSERT, CREATE, INDEX ON `{db}`.*");
        Assert.DoesNotContain(MariaDbServer.Password, e.ToString());
    }

    [Fact]
    public async Task A_user_without_INSERT_reads_but_is_told_it_lacks_INSERT_when_writing()
    {
        var db = server.CreateDatabase();
        await using (var owner = Open(server.Url(db)))
            await owner.WriteAsync(Points("existing", 2), CancellationToken.None);
        var user = CreateUser(db, "SELECT");
        await using var store = Open(server.Url(db, user: user, password: $"Other-{MariaDbServer.Password}"));

        Assert.NotNull(await ReportAsync(store, "existing"));
        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Points("b", 2), CancellationToken.None));

        AssertMessage(e, $"user '{user}' lacks INSERT on {db}.data");
        AssertMessage(e, $"GRANT INSERT ON `{db}`.`data`");
        Assert.DoesNotContain(MariaDbServer.Password, e.ToString());
    }

    [Fact]
    public async Task A_user_without_CREATE_is_told_so_when_the_table_is_missing()
    {
        var db = server.CreateDatabase();
        var user = CreateUser(db, "SELECT, INSERT");
        await using var store = Open(server.Url(db, user: user, password: $"Other-{MariaDbServer.Password}"));

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Points("b", 2), CancellationToken.None));

        AssertMessage(e, $"user '{user}' lacks CREATE on {db}.data");
        AssertMessage(e, $"GRANT CREATE, INDEX ON `{db}`.*");
    }

    [Fact]
    public async Task Batches_of_any_size_are_stored_whole_in_their_order_and_later_batches_prepare_no_statement_again()
    {
        var db = server.CreateDatabase();
        await using var store = Open(server.Url(db));
        int[] sizes = [1000, 1, 3, 1025, 77];
        foreach (var size in sizes)
            await store.WriteAsync(Points($"size-{size}", size), CancellationToken.None);
        var prepared = long.Parse(server.Admin("SHOW GLOBAL STATUS LIKE 'Com_stmt_prepare'").Split('\t')[1].Trim());

        // The same sizes again, one batch at a time (so on the same pooled connection): its statements are prepared already.
        foreach (var size in sizes)
            await store.WriteAsync(Points($"again-{size}", size), CancellationToken.None);

        Assert.Equal(prepared, long.Parse(server.Admin("SHOW GLOBAL STATUS LIKE 'Com_stmt_prepare'").Split('\t')[1].Trim()));
        foreach (var prefix in new[] { "size", "again" })
            foreach (var size in sizes)
            {
                // Row ids follow the batch: the operations come back in the order they were given.
                var ops = server.Admin($"SELECT trace_id, name FROM data WHERE base_id = '{prefix}-{size}' ORDER BY id", db)
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(Points("x", size).Select(p => $"{p.TraceId}\t{p.Name}"), ops);
            }
    }

    [Fact]
    public async Task A_server_that_allows_no_more_prepared_statements_still_gets_the_rows_in_their_order()
    {
        var db = server.CreateDatabase();
        var limit = server.Admin("SELECT @@GLOBAL.max_prepared_stmt_count").Trim();
        server.Admin("SET GLOBAL max_prepared_stmt_count = 0");
        try
        {
            await using var store = Open(server.Url(db));
            await store.WriteAsync(Points("unprepared", 1000), CancellationToken.None);

            var ops = server.Admin("SELECT trace_id, name FROM data WHERE base_id = 'unprepared' ORDER BY id", db)
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(Points("x", 1000).Select(p => $"{p.TraceId}\t{p.Name}"), ops);
        }
        finally
        {
            server.Admin($"SET GLOBAL max_prepared_stmt_count = {limit}");
        }
    }

    [Fact]
    public async Task A_batch_larger_than_the_servers_packet_size_is_split_and_written_whole()
    {
        var db = server.CreateDatabase();
        await using var store = Open(server.Url(db));
        // 1,000 points of 24 KB: 24 MB, above MariaDB's default max_allowed_packet of 16 MB.
        await store.WriteAsync(Points("big", 1000, infoBytes: 24_000), CancellationToken.None);

        Assert.Equal(1000, (await ReportAsync(store, "big"))!.PointCount);
    }
    [Fact]
    public async Task A_batch_written_again_under_its_id_adds_neither_rows_nor_to_its_traces_summary()
    {
        var db = server.CreateDatabase();
        await using var store = Open(server.Url(db));
        var points = Points("once", 1000);
        var batch = Guid.NewGuid();

        await store.WriteAsync(points, batch, CancellationToken.None);
        // The claim and the summary merge travel in one command: the claim's failure must stop the merge with it.
        await store.WriteAsync(points, batch, CancellationToken.None);
        // And leave the (pooled, never reset) connection fit for the next batch.
        await store.WriteAsync(Points("next", 10), CancellationToken.None);

        Assert.Equal(1010, CountRows(db));
        Assert.Equal("10", server.Admin("SELECT points FROM profiler_traces WHERE base_id = 'next'", db).Trim());
        Assert.Equal("1000\t500", server.Admin("SELECT points, operations FROM profiler_traces WHERE base_id = 'once'", db).Trim());
        Assert.Equal("1", server.Admin($"SELECT COUNT(*) FROM profiler_batches WHERE batch_id = '{batch:D}'", db).Trim());
    }

    [Fact]
    public async Task Eight_batches_written_at_once_are_each_stored_once_through_at_most_two_connections()
    {
        var db = server.CreateDatabase();
        await using var store = Open(server.Url(db));

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => store.WriteAsync(Points($"at-once-{i}", 500), CancellationToken.None))));

        Assert.Equal(8 * 500, CountRows(db));
        Assert.Equal("8", server.Admin("SELECT COUNT(*) FROM profiler_traces WHERE points = 500", db).Trim());
        // The writers' pool keeps its connections open: as many as batches were written at once, at most.
        var connections = int.Parse(server.Admin($"SELECT COUNT(*) FROM information_schema.processlist WHERE db = '{db}'").Trim());
        Assert.InRange(connections, 1, MySqlTraceWriter.MaxConcurrentBatches);
    }
}
