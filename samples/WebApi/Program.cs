using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;          // UseSqlite; AddProfilerInterceptor lives here too
using Profiler.Infrastructure.Redis;          // RedisDriver
using Profiler.Instrumentation;               // Tracing; AddProfiler/AddTraceStoreDriver/AddProfilerHandler need no using
using WebApi;

var builder = WebApplication.CreateBuilder(args);

// Profiler settings from appsettings.json's "Profiler" section or the environment
// (Profiler__Enabled, Profiler__HmacKeys, Profiler__ConnectionString).
builder.Services.AddProfiler(builder.Configuration);
builder.Services.AddTraceStoreDriver<RedisDriver>();   // redis:// connection strings, referenced as a package

// Outgoing calls: traced as http_client and signed, so the called service continues the trace.
// This one calls the app itself, at the first address it listens on.
builder.Services.AddHttpClient("self", (services, client) => client.BaseAddress = SelfAddress.Of(services))
    .AddProfilerHandler();

// The app's database: SQLite in memory (kept alive by one open connection), every command traced as db.
var keepAlive = new SqliteConnection("Data Source=webapi-catalog;Mode=Memory;Cache=Shared");
keepAlive.Open();
builder.Services.AddDbContext<CatalogDb>(o => o.UseSqlite("Data Source=webapi-catalog;Mode=Memory;Cache=Shared").AddProfilerInterceptor());

var app = builder.Build();
app.UseProfiler();   // continues a trace only for a request with a valid X-Trace-HMAC

using (var scope = app.Services.CreateScope())
{
    var db = scope.ServiceProvider.GetRequiredService<CatalogDb>();
    db.Database.EnsureCreated();
    db.Servers.AddRange(new Server { Name = "compute-1", Status = "ACTIVE" }, new Server { Name = "compute-2", Status = "SHUTOFF" });
    db.SaveChanges();
}

// GET /servers: calls /servers/details on this same app through the traced HttpClient.
app.MapGet("/servers", async (IHttpClientFactory clients, CancellationToken cancel) =>
{
    var details = await clients.CreateClient("self").GetFromJsonAsync<Server[]>("/servers/details", cancel);
    return Tracing.Run("summarize", new JsonObject { ["count"] = details?.Length ?? 0 },
        () => details?.Select(s => s.Name).ToArray() ?? []);
});

// GET /servers/details: reads the database through EF Core.
app.MapGet("/servers/details", async (CatalogDb db, CancellationToken cancel) =>
    await db.Servers.OrderBy(s => s.Name).ToListAsync(cancel));

app.Run();
keepAlive.Dispose();
