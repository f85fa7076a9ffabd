using System.Text.Json.Nodes;
using Profiler.Cli.Tests;
using Profiler.Domain;
using Profiler.Infrastructure.Redis;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Faults.Tests.Outage;

/// <summary>
/// Issue 14: <c>profiler trace show</c> on a busy machine. The published CLI reads a trace through a
/// <see cref="FaultProxy"/> that holds back every <c>LRANGE</c> reply for 3 s (the handshake passes at once): the
/// command's interactive timeout (10 s) waits for it; the instrumented service's 0.1 s (whose operations wait at least
/// 2 s) would not, and then the error says which timeout to raise.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class InteractiveCliTests(PublishedCli cli)
{
    [Fact]
    public async Task Trace_show_waits_for_a_slow_reply_and_a_too_short_socket_timeout_is_named_in_the_error()
    {
        using var redis = new RedisProcess();
        await using (var writer = new RedisDriver().Open(ConnectionString.Parse(redis.Url()), Patient.Settings))
        {
            var at = TraceTimestamp.FromDateTime(new DateTime(2026, 11, 29, 12, 0, 0, DateTimeKind.Utc));
            await writer.WriteAsync(
            [
                new TracePoint { Name = "db-start", BaseId = "busy", TraceId = "op", ParentId = "busy", Timestamp = at.ToString(), Info = new JsonObject() },
                new TracePoint { Name = "db-stop", BaseId = "busy", TraceId = "op", ParentId = "busy", Timestamp = at.ToString(), Info = new JsonObject() },
            ], CancellationToken.None);
        }
        await using var proxy = new FaultProxy(redis.Port);
        proxy.DelayRepliesTo("LRANGE", TimeSpan.FromSeconds(3));
        using var work = new TempDirectory();

        var show = cli.Run(work.Path, "trace", "show", "busy", "--json", "-c", $"redis://127.0.0.1:{proxy.Port}/0");
        var tooShort = cli.Run(work.Path, "trace", "show", "busy", "--json", "-c", $"redis://127.0.0.1:{proxy.Port}/0?socket_timeout=0.1");

        Assert.True(show.ExitCode == 0, show.All);
        Assert.Contains("db-start", show.StandardOutput);
        Assert.Equal(3, tooShort.ExitCode);
        Assert.Contains("raise socket_timeout (now 0.1 s", tooShort.StandardError);
    }
}
