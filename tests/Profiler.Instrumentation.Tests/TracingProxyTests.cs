using System.Text.Json.Nodes;
using Profiler.Domain;

namespace Profiler.Instrumentation.Tests;

/// <summary>A value whose <c>ToString</c> throws, as a half-built domain object's may.</summary>
public sealed class Unprintable
{
    public override string ToString() => throw new InvalidOperationException("not loaded yet");
}

public interface IStore
{
    Unprintable Load(Unprintable key);
    Task<Unprintable> LoadAsync(Unprintable key);
    string Echo(string text);
}

internal sealed class Store : IStore
{
    public int Calls;
    public Unprintable Load(Unprintable key) { Calls++; return key; }
    public async Task<Unprintable> LoadAsync(Unprintable key) { await Task.Yield(); Calls++; return key; }
    public string Echo(string text) => text;
}

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
    public async Task A_value_whose_ToString_throws_is_shown_as_unformattable_and_the_call_goes_on()
    {
        var target = new Store();
        var store = Tracing.TraceInterface<IStore>(target, "db", new TraceMethodOptions { HideResult = false });
        var key = new Unprintable();
        var profiler = new TraceProfiler("k", _sink, "b");
        using (var top = profiler.Trace("top"))
        {
            Assert.Same(key, store.Load(key));
            Assert.Same(key, await store.LoadAsync(key));
            // Neither call left its scope behind: the caller's flow is at its own scope again.
            Assert.Equal(top.TraceId, profiler.CurrentId);
        }
        Assert.Equal(2, target.Calls);
        var points = _sink.Points;
        const string shown = "<unformattable Profiler.Instrumentation.Tests.Unprintable>";
        Assert.Equal($"({shown})", Single(points, "db-start").Info!["function"]!["args"]!.GetValue<string>());
        Assert.Equal(shown, Single(points, "db-stop").Info!["function"]!["result"]!.GetValue<string>());
        Assert.Equal(shown, Single(points, "db-stop", 1).Info!["function"]!["result"]!.GetValue<string>());
        Assert.Equal(2, points.Count(p => p.Name == "db-stop"));
        Assert.DoesNotContain(points, p => p.ErrorType is not null);
    }

    [Fact]
    public void A_negative_MaxValueLength_is_refused_when_the_interface_is_wrapped_naming_the_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Tracing.TraceInterface<IStore>(new Store(), "db", new TraceMethodOptions { MaxValueLength = -1 }));
        Assert.Contains("MaxValueLength = -1", e.Message);
        Assert.Contains("use 0 or more", e.Message);
    }

    [Theory]
    [InlineData(0, "…")]
    [InlineData(3, "'ab…")]
    [InlineData(4, "'ab…")]
    [InlineData(5, "'ab\U0001F600…")]
    [InlineData(6, "'ab\U0001F600…")]
    [InlineData(8, "'ab\U0001F600\U0001F600'")]
    public void Values_are_cut_at_MaxValueLength_but_never_inside_a_surrogate_pair(int max, string expected)
    {
        var store = Tracing.TraceInterface<IStore>(new Store(), "db", new TraceMethodOptions { HideResult = false, MaxValueLength = max });
        using (new TraceProfiler("k", _sink).Trace("top")) store.Echo("ab\U0001F600\U0001F600");
        var result = Single(_sink.Points, "db-stop").Info!["function"]!["result"]!.GetValue<string>();
        // Formatted, the argument is "'ab" and two surrogate pairs and "'": a cut at 4 or 6 would split a pair.
        Assert.Equal(expected, result);
        _ = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetByteCount(result);
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
