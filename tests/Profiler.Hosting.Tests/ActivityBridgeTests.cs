using System.Diagnostics;
using Profiler.Instrumentation;

namespace Profiler.Hosting.Tests;

public sealed class ActivityBridgeTests
{
    private sealed class Sink : ITraceEventSink
    {
        public readonly List<TraceEvent> Events = [];
        public bool TryWrite(in TraceEvent e) { lock (Events) Events.Add(e); return true; }
    }

    [Fact]
    public async Task Activities_of_listed_sources_become_nested_trace_points_inside_a_trace()
    {
        var sourceName = "Test.Bridge." + Guid.NewGuid().ToString("N");
        using var source = new ActivitySource(sourceName);
        using var other = new ActivitySource(sourceName + ".Other");
        using var bridge = new ActivityBridge([sourceName]);
        var sink = new Sink();

        using (var none = source.StartActivity("outside")) Assert.Null(none); // no trace, no activity from us

        var profiler = new TraceProfiler("k", sink, "base");
        using (profiler.Trace("wsgi"))
        {
            using (var a = source.StartActivity("queue.publish", ActivityKind.Producer))
            {
                Assert.NotNull(a);
                a.SetTag("queue", "jobs");
                await Task.Yield();
                using (Tracing.Trace("inside")) { }
                using (var failed = source.StartActivity("queue.ack"))
                    failed!.SetStatus(ActivityStatusCode.Error, "nack");
            }
            using (other.StartActivity("ignored")) { }
        }

        var points = sink.Events.Select(e => e.ToTracePoint()).ToList();
        Assert.Equal(["wsgi-start", "queue.publish-start", "inside-start", "inside-stop", "queue.ack-start", "queue.ack-stop",
            "queue.publish-stop", "wsgi-stop"], points.Select(p => p.Name));
        var publish = points.Single(p => p.Name == "queue.publish-start");
        Assert.Equal(points[0].TraceId, publish.ParentId);
        Assert.Equal(sourceName, publish.Info!["activity"]!["source"]!.GetValue<string>());
        Assert.Equal("Producer", publish.Info!["activity"]!["kind"]!.GetValue<string>());
        Assert.Equal(publish.TraceId, points.Single(p => p.Name == "inside-start").ParentId);
        Assert.Equal(publish.TraceId, points.Single(p => p.Name == "queue.ack-start").ParentId);
        Assert.Equal("jobs", points.Single(p => p.Name == "queue.publish-stop").Info!["activity"]!["tags"]!["queue"]!.GetValue<string>());
        var ack = points.Single(p => p.Name == "queue.ack-stop");
        Assert.Equal("ActivityError", ack.ErrorType);
        Assert.Equal("nack", ack.Info!["message"]!.GetValue<string>());
    }
}
