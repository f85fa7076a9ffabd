using System.Text.Json.Nodes;
using Profiler.Domain;

namespace Profiler.Instrumentation.Tests;

public interface ICompute
{
    int Add(int a, int b);
    string Greet(string name);
    void Fail(string why);
    Task<int> AddLaterAsync(int a, int b);
    Task FailLaterAsync();
    ValueTask<string> EchoAsync(string text);
    Task NestedAsync(Func<Task> inner);
}

internal sealed class Compute : ICompute
{
    public int Add(int a, int b) => a + b;
    public string Greet(string name) => "hello " + name;
    public void Fail(string why) => throw new InvalidOperationException(why);
    public async Task<int> AddLaterAsync(int a, int b) { await Task.Delay(1); return a + b; }
    public async Task FailLaterAsync() { await Task.Yield(); throw new TimeoutException("late"); }
    public async ValueTask<string> EchoAsync(string text) { await Task.Yield(); return text; }
    public async Task NestedAsync(Func<Task> inner) { await Task.Yield(); await inner(); }
}

public sealed class TracingProxyTests
{
    private readonly CollectingSink _sink = new();

    private static TracePoint Single(IEnumerable<TracePoint> points, string name, int index = 0) =>
        points.Where(p => p.Name == name).ElementAt(index);

    [Fact]
    public void Every_interface_method_is_traced_with_OSProfilers_function_info()
    {
        var compute = Tracing.TraceInterface<ICompute>(new Compute(), "rpc");
        var profiler = new TraceProfiler("k", _sink, "b");
        using (profiler.Trace("wsgi"))
        {
            Assert.Equal(3, compute.Add(1, 2));
            Assert.Equal("hello x", compute.Greet("x"));
        }
        var points = _sink.Points;
        var start = Single(points, "rpc-start");
        var function = start.Info!["function"]!.AsObject();
        Assert.Equal("Profiler.Instrumentation.Tests.ICompute.Add", function["name"]!.GetValue<string>());
        Assert.Equal("(1, 2)", function["args"]!.GetValue<string>());
        Assert.Equal("{}", function["kwargs"]!.GetValue<string>());
        Assert.Equal("('x')", Single(points, "rpc-start", 1).Info!["function"]!["args"]!.GetValue<string>());
        Assert.Equal(Single(points, "wsgi-start").TraceId, start.ParentId);
        Assert.False(Single(points, "rpc-stop").Info!.ContainsKey("function"));
    }

    [Fact]
    public void Arguments_can_be_hidden_and_results_shown()
    {
        var compute = Tracing.TraceInterface<ICompute>(new Compute(), "rpc",
            new TraceMethodOptions { HideArgs = true, HideResult = false, Info = new JsonObject { ["team"] = "a" } });
        using (new TraceProfiler("k", _sink).Trace("top")) compute.Add(2, 3);
        var start = Single(_sink.Points, "rpc-start");
        Assert.False(start.Info!["function"]!.AsObject().ContainsKey("args"));
        Assert.Equal("a", start.Info!["team"]!.GetValue<string>());
        Assert.Equal("5", Single(_sink.Points, "rpc-stop").Info!["function"]!["result"]!.GetValue<string>());
    }

    [Fact]
    public void A_throwing_method_records_the_exception_and_throws_it_unwrapped()
    {
        var compute = Tracing.TraceInterface<ICompute>(new Compute(), "rpc");
        using (new TraceProfiler("k", _sink).Trace("top"))
            Assert.Equal("no", Assert.Throws<InvalidOperationException>(() => compute.Fail("no")).Message);
        var stop = Single(_sink.Points, "rpc-stop");
        Assert.Equal("System.InvalidOperationException", stop.ErrorType);
        Assert.Equal("no", stop.Info!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Async_methods_stop_when_their_task_completes_and_nest_what_they_call()
    {
        var compute = Tracing.TraceInterface<ICompute>(new Compute(), "rpc", new TraceMethodOptions { HideResult = false });
        var profiler = new TraceProfiler("k", _sink, "b");
        using (var top = profiler.Trace("top"))
        {
            var pending = compute.AddLaterAsync(4, 5);
            Assert.Equal(top.TraceId, profiler.CurrentId); // the caller's flow is back at its own scope
            Assert.Equal(9, await pending);
            await Assert.ThrowsAsync<TimeoutException>(() => compute.FailLaterAsync());
            Assert.Equal("hi", await compute.EchoAsync("hi"));
            await compute.NestedAsync(async () => { using (Tracing.Trace("inner")) await Task.Yield(); });
        }
        var points = _sink.Points;
        Assert.Equal("9", Single(points, "rpc-stop", 0).Info!["function"]!["result"]!.GetValue<string>());
        Assert.Equal("System.TimeoutException", Single(points, "rpc-stop", 1).ErrorType);
        Assert.Equal("'hi'", Single(points, "rpc-stop", 2).Info!["function"]!["result"]!.GetValue<string>());
        Assert.Equal(Single(points, "rpc-start", 3).TraceId, Single(points, "inner-start").ParentId);
        var adds = points.Where(p => p.TraceId == Single(points, "rpc-start", 0).TraceId).ToList();
        Assert.True(TraceTimestamp.Parse(adds[1].Timestamp) > TraceTimestamp.Parse(adds[0].Timestamp));
    }

    [Fact]
    public void Without_an_ambient_profiler_calls_pass_straight_through()
    {
        var compute = Tracing.TraceInterface<ICompute>(new Compute(), "rpc");
        Assert.Equal(3, compute.Add(1, 2));
        Assert.Throws<InvalidOperationException>(() => compute.Fail("x"));
        Assert.Empty(_sink.Points);
    }
}
