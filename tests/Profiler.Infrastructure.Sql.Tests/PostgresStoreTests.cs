using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using static Profiler.Infrastructure.Sql.Tests.SqlServerTestKit;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>The PostgreSQL driver against a real PostgreSQL: version check, schema, errors, batching.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresServer server) : SqlServerStoreTests
{
    private const string OtherPassword = "Other-" + PostgresServer.Password;

    protected override ITraceStore Open(string url) => new PostgresDriver().Open(ConnectionString.Parse(url), new DriverSettings());
    protected override string CreateDatabase() => server.CreateDatabase();
    protected override string Url(string database, string? scheme = null, string? password = null, string? query = null) =>
        server.Url(database, scheme ?? "postgresql+psycopg2", password: password ?? PostgresServer.Password, query: query);
    protected override int CountRows(string database) => int.Parse(server.Admin("SELECT COUNT(*) FROM data", database).Trim());
    protected override void FailInsertsOf(string database, string baseId) => server.Admin(
        "CREATE FUNCTION fail_inserts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " +
        $"IF NEW.base_id = '{baseId}' THEN RAISE EXCEPTION 'failed by a test trigger'; END IF; RETURN NEW; END $$; " +
        "CREATE TRIGGER fail_inserts BEFORE INSERT ON data FOR EACH ROW EXECUTE PROCEDURE fail_inserts();", database);
    protected override (string User, string Password) Login => (PostgresServer.User, PostgresServer.Password);
    protected override string ServerName => $"postgresql+psycopg2 127.0.0.1:{server.Port}";
    protected override string CreateDatabaseStatement(string database) => $"CREATE DATABASE \"{database}\"";

    private string CreateUser()
    {
        var user = Unique("u");
        server.Admin($"CREATE ROLE {user} LOGIN PASSWORD '{OtherPassword}'");
        return user;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task A_real_PostgreSQL_passes_the_version_check_and_gets_OSProfilers_table_indexes_and_JSON_column()
    {
        var db = server.CreateDatabase();
        await using (var store = Open(server.Url(db)))
            await store.WriteAsync(FixtureTrace.Load("simple", "mysql").Points, CancellationToken.None);

        var columns = Lines(server.Admin(
                "SELECT column_name || '|' || data_type || '|' || coalesce(character_maximum_length::text, '') || '|' || coalesce(column_default, '') " +
                "FROM information_schema.columns WHERE table_name = 'data' ORDER BY column_name", db))
            .Select(l => l.Split('|')).ToDictionary(c => c[0], c => (c[1], c[2], c[3]));
        Assert.Equal(["base_id", "data", "host", "id", "name", "parent_id", "project", "service", "timestamp", "trace_id"], columns.Keys);
        Assert.Equal(("json", "", ""), columns["data"]);
        Assert.Equal(("character varying", "26", ""), columns["timestamp"]);
        Assert.Equal(("character varying", "255", ""), columns["base_id"]);
        Assert.Equal(("integer", "", "nextval('data_id_seq'::regclass)"), columns["id"]);
        Assert.Equal(["data_pkey", "ix_data_base_id", "ix_data_host", "ix_data_name", "ix_data_parent_id", "ix_data_project",
            "ix_data_service", "ix_data_timestamp", "ix_data_trace_id"],
            Lines(server.Admin("SELECT indexname FROM pg_indexes WHERE tablename = 'data' ORDER BY indexname", db)));
        Assert.Equal("string", server.Admin("SELECT DISTINCT json_typeof(data) FROM data", db).Trim());
    }

    [Theory]
    [InlineData("postgresql", null)]
    [InlineData("postgresql+psycopg2", "client_encoding=utf8&application_name=nova")]
    [InlineData("postgres", "sslmode=disable&connect_timeout=30&keepalives=1")]
    public Task Every_PostgreSQL_scheme_and_SQLAlchemy_option_reaches_the_server(string scheme, string? query) =>
        A_scheme_and_its_options_reach_the_server(scheme, query);

    [Fact]
    public async Task A_user_without_SELECT_or_INSERT_is_told_which_privilege_it_lacks()
    {
        var db = server.CreateDatabase();
        await using (var owner = Open(server.Url(db)))
            await owner.WriteAsync(Points("existing", 2), CancellationToken.None);
        var user = CreateUser();
        await using var store = Open(server.Url(db, user: user, password: OtherPassword));

        var read = await Assert.ThrowsAsync<TraceStoreException>(() => store.ListTracesAsync(new TraceListQuery(1), CancellationToken.None));
        AssertMessage(read, $"user '{user}' lacks SELECT on {db}.data");
        AssertMessage(read, $"GRANT SELECT ON data TO \"{user}\"");

        server.Admin($"GRANT SELECT ON data TO {user}", db);
        Assert.NotNull(await ReportAsync(store, "existing"));
        var write = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Points("b", 2), CancellationToken.None));
        AssertMessage(write, $"user '{user}' lacks INSERT on {db}.data");
        Assert.DoesNotContain(PostgresServer.Password, read.ToString() + write);
    }

    [Fact]
    public async Task A_user_without_CREATE_on_the_schema_is_told_so_when_the_table_is_missing()
    {
        var db = server.CreateDatabase();
        var user = CreateUser();
        await using var store = Open(server.Url(db, user: user, password: OtherPassword));

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Points("b", 2), CancellationToken.None));

        AssertMessage(e, $"user '{user}' lacks CREATE on schema public of database {db}");
        AssertMessage(e, $"GRANT CREATE ON SCHEMA public TO \"{user}\"");
    }
}
