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
        Assert.True(Fail("in the task", suspend: false).IsFaulted); // in the task, not thrown by the call
        Assert.Equal("at once", (await Assert.ThrowsAsync<InvalidOperationException>(() => Fail("at once", suspend: false))).Message);
        Assert.Equal("later", (await Assert.ThrowsAsync<InvalidOperationException>(() => Fail("later", suspend: true))).Message);
        Assert.Equal("disposing", (await Assert.ThrowsAsync<InvalidOperationException>(async () => await FailValue("disposing"))).Message);
    }

    [Fact]
    public async Task Async_local_values_set_inside_do_not_reach_the_caller()
    {
        Ambient.Value = "caller";

        var pending = SetAmbient("inside, before the method's await", suspend: true);
        Assert.Equal("caller", Ambient.Value); // as soon as the call returns, before the caller awaits
        await pending;
        await SetAmbient("inside, before any await", suspend: false);
        Assert.Equal("caller", Ambient.Value);
        await SetAmbient("inside, across an await", suspend: true);
        Assert.Equal("caller", Ambient.Value);
        await SetAmbientValueTask("inside a ValueTask method");
        Assert.Equal("caller", Ambient.Value);
    }

    [Fact]
    public async Task With_the_flow_suppressed_the_method_still_runs_and_the_callers_values_are_kept()
    {
        Ambient.Value = "caller";
        Task task;
        using (ExecutionContext.SuppressFlow())
        {
            task = SetAmbient("inside, flow suppressed", suspend: false);
            Assert.Equal("caller", Ambient.Value);
        }

        await task;
        Assert.Equal("caller", Ambient.Value);
    }

    [Fact]
    public async Task A_synchronization_context_set_inside_is_the_callers_again_once_the_call_returns()
    {
        var callers = SynchronizationContext.Current;

        var task = SetSynchronizationContext(suspend: false);

        Assert.Same(callers, SynchronizationContext.Current);
        await task;
    }

    [Fact]
    public async Task A_cancelled_method_ends_cancelled()
    {
        using var source = new CancellationTokenSource();
        await source.CancelAsync();

        var task = Twice(1, suspend: false, source.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(task.IsCanceled);
    }

    [Fact]
    public async Task A_method_suspending_more_than_once_completes_with_its_result()
    {
        Assert.Equal(6, await YieldThrice());
        var completed = FailValue("never thrown", suspend: false);
        Assert.True(completed.IsCompletedSuccessfully);
        await completed;
    }

    [Fact]
    public async Task The_method_sees_the_callers_async_local_values()
    {
        Ambient.Value = "caller";

        Assert.Equal("caller", await ReadAmbient());
    }

    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    private static async Task<int> Twice(int value, bool suspend, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (suspend) await Task.Yield();
        return value * 2;
    }

    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    private static async Task<int> YieldThrice()
    {
        var sum = 0;
        for (var i = 1; i <= 3; i++)
        {
            await Task.Yield();
            sum += i;
        }
        return sum;
    }

    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder))]
    private static async Task SetSynchronizationContext(bool suspend)
    {
        SynchronizationContext.SetSynchronizationContext(new SynchronizationContext());
        if (suspend) await Task.Yield();
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
    private static async ValueTask FailValue(string message, bool suspend = true)
    {
        if (!suspend) return;
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
