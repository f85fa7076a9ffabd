using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Application.Tests.Common;

/// <summary>
/// The async builders whose start is precompiled (Domain/Threading/InlineStart.cs) behave as the runtime's: a result
/// when nothing suspends, a later result when something does, the exception at the await, and the caller's
/// async-local values untouched by what the method set.
/// </summary>
public sealed class InlineStartTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    [Fact]
    public async Task A_method_that_never_suspends_has_its_result_at_once()
    {
        var task = Twice(21, suspend: false);

        Assert.True(task.IsCompletedSuccessfully);
        Assert.Equal(42, await task);
    }

    [Fact]
    public async Task A_method_that_suspends_completes_later_with_its_result()
    {
        using var gate = new SemaphoreSlim(0);
        var task = AfterGate(gate);

        Assert.False(task.IsCompleted);
        gate.Release();
        Assert.Equal("passed", await task);
    }

    [Fact]
    public async Task An_exception_reaches_the_caller_at_its_await_whether_or_not_the_method_suspended()
    {
        Assert.Equal("at once", (await Assert.ThrowsAsync<InvalidOperationException>(() => Fail("at once", suspend: false))).Message);
        Assert.Equal("later", (await Assert.ThrowsAsync<InvalidOperationException>(() => Fail("later", suspend: true))).Message);
        Assert.Equal("disposing", (await Assert.ThrowsAsync<InvalidOperationException>(async () => await FailValue("disposing"))).Message);
    }

    [Fact]
    public async Task Async_local_values_set_inside_do_not_reach_the_caller()
    {
        Ambient.Value = "caller";

        await SetAmbient("inside, before any await", suspend: false);
        Assert.Equal("caller", Ambient.Value);
        await SetAmbient("inside, across an await", suspend: true);
        Assert.Equal("caller", Ambient.Value);
        await SetAmbientValueTask("inside a ValueTask method");
        Assert.Equal("caller", Ambient.Value);
    }

    [Fact]
    public async Task The_method_sees_the_callers_async_local_values()
    {
        Ambient.Value = "caller";

        Assert.Equal("caller", await ReadAmbient());
    }

    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    private static async Task<int> Twice(int value, bool suspend)
    {
        if (suspend) await Task.Yield();
        return value * 2;
    }

    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    private static async Task<string> AfterGate(SemaphoreSlim gate)
    {
        await gate.WaitAsync();
        return "passed";
    }

    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder))]
    private static async Task Fail(string message, bool suspend)
    {
        if (suspend) await Task.Yield();
        throw new InvalidOperationException(message);
    }

    [AsyncMethodBuilder(typeof(InlineStartValueTaskBuilder))]
    private static async ValueTask FailValue(string message)
    {
        await Task.Yield();
        throw new InvalidOperationException(message);
    }

    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder))]
    private static async Task SetAmbient(string value, bool suspend)
    {
        Ambient.Value = value;
        if (suspend) await Task.Yield();
        Assert.Equal(value, Ambient.Value);
    }

    [AsyncMethodBuilder(typeof(InlineStartValueTaskBuilder))]
    private static async ValueTask SetAmbientValueTask(string value)
    {
        Ambient.Value = value;
        await Task.Yield();
        Assert.Equal(value, Ambient.Value);
    }

    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    private static async Task<string?> ReadAmbient()
    {
        await Task.Yield();
        return Ambient.Value;
    }
}
