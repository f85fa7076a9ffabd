using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Profiler.Domain;
using Profiler.Instrumentation;

namespace Profiler.Hosting.Tests;

public sealed class Server
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
}

public sealed class ServersContext(DbContextOptions<ServersContext> options) : DbContext(options)
{
    public DbSet<Server> Servers => Set<Server>();
}

public sealed class DbInterceptorTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");
    private readonly List<TraceEvent> _events = [];
    private readonly ServersContext _db;

    private sealed class Sink(List<TraceEvent> events) : ITraceEventSink
    {
        public bool TryWrite(in TraceEvent e) { lock (events) events.Add(e); return true; }
    }

    public DbInterceptorTests()
    {
        _connection.Open();
        _db = new ServersContext(new DbContextOptionsBuilder<ServersContext>().UseSqlite(_connection).AddProfilerInterceptor().Options);
        _db.Database.EnsureCreated();
    }

    public void Dispose()
    {
        _db.Dispose();
        _connection.Dispose();
    }

    private List<TracePoint> Points { get { lock (_events) return _events.Select(e => e.ToTracePoint()).ToList(); } }

    [Fact]
    public async Task Statements_inside_a_trace_are_traced_as_db_with_statement_and_params()
    {
        var profiler = new TraceProfiler("k", new Sink(_events), "base");
        using (var request = profiler.Trace("wsgi"))
        {
            _db.Servers.Add(new Server { Name = "vm-1" });
            await _db.SaveChangesAsync();
            var name = "vm-1";
            Assert.Single(await _db.Servers.Where(s => s.Name == name).ToListAsync());
            Assert.Equal(1, _db.Servers.Count());
        }
        var points = Points;
        var starts = points.Where(p => p.Name == "db-start").ToList();
        Assert.Equal(3, starts.Count);
        Assert.Equal(3, points.Count(p => p.Name == "db-stop"));
        var wsgi = points.Single(p => p.Name == "wsgi-start").TraceId;
        Assert.All(starts, s => Assert.Equal(wsgi, s.ParentId));
        var insert = starts[0].Info!["db"]!;
        Assert.StartsWith("INSERT INTO \"Servers\"", insert["statement"]!.GetValue<string>());
        Assert.Equal("vm-1", insert["params"]!["@p0"]!.GetValue<string>());
        var select = starts[1].Info!["db"]!;
        Assert.Contains("WHERE \"s\".\"Name\" = @", select["statement"]!.GetValue<string>());
        Assert.Equal("vm-1", select["params"]!.AsObject().Single().Value!.GetValue<string>());
        Assert.All(points.Where(p => p.Name == "db-stop"), p => Assert.Null(p.ErrorType));
    }

    [Fact]
    public void A_failing_statement_records_the_error_on_the_stop_point()
    {
        var profiler = new TraceProfiler("k", new Sink(_events));
        using (profiler.Trace("wsgi"))
            Assert.Throws<SqliteException>(() => _db.Database.ExecuteSqlRaw("SELECT * FROM missing_table"));
        var stop = Points.Single(p => p.Name == "db-stop");
        Assert.Equal("Microsoft.Data.Sqlite.SqliteException", stop.ErrorType);
        Assert.Contains("missing_table", stop.Info!["message"]!.GetValue<string>());
    }

    [Fact]
    public void Outside_a_trace_nothing_is_recorded()
    {
        Assert.Equal(0, _db.Servers.Count());
        Assert.Empty(_events);
    }
}
