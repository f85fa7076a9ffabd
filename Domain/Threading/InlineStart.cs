using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Profiler.Threading;

// Source shared by the projects that use it (linked, <Compile Include=… Link=…/>): each gets its own internal copy.
// Profiler.Domain itself does not compile it.


/// <summary>
/// Async method builders for the methods a short command runs once: the same tasks as the runtime's own builders
/// (<see cref="AsyncTaskMethodBuilder"/>, <see cref="AsyncTaskMethodBuilder{TResult}"/>,
/// <see cref="AsyncValueTaskMethodBuilder"/>, which they wrap), but started by code of this assembly. The runtime's
/// <c>Start&lt;TStateMachine&gt;</c> is generic code of the runtime library over the method's state machine, a value
/// type of this assembly, which ReadyToRun cannot precompile across assemblies: every async method a command runs was
/// compiled at run time on every start (36 of them in <c>profiler trace list</c>). Here <c>Start</c> is this
/// assembly's own generic code, precompiled. Awaits that do suspend go to the runtime's builder as usual.
/// </summary>
/// <remarks>Use with <c>[AsyncMethodBuilder(typeof(InlineStartTaskBuilder&lt;&gt;))]</c> on an async method.</remarks>
internal static class InlineStart
{
    /// <summary>
    /// Runs the state machine's first step as the runtime's <c>AsyncMethodBuilderCore.Start</c> does: the caller's
    /// execution context (its <see cref="AsyncLocal{T}"/> values) and synchronization context are restored after it,
    /// whatever the step changed. False, having run nothing, when the caller suppressed the execution context's flow
    /// (<see cref="ExecutionContext.SuppressFlow"/>): its context cannot be captured to be restored, and the caller
    /// starts the state machine with the runtime's own builder instead.
    /// </summary>
    [DebuggerStepThrough]
    public static bool TryRun<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine
    {
        var executionContext = ExecutionContext.Capture();
        if (executionContext is null) return false;
        var synchronizationContext = SynchronizationContext.Current;
        try
        {
            stateMachine.MoveNext();
        }
        finally
        {
            if (SynchronizationContext.Current != synchronizationContext) SynchronizationContext.SetSynchronizationContext(synchronizationContext);
            if (ExecutionContext.Capture() != executionContext) ExecutionContext.Restore(executionContext);
        }
        return true;
    }
}

/// <summary><see cref="AsyncTaskMethodBuilder"/>, started by <see cref="InlineStart.TryRun"/>.</summary>
internal struct InlineStartTaskBuilder
{
    private AsyncTaskMethodBuilder _builder;

    public static InlineStartTaskBuilder Create() => default;

    public Task Task => _builder.Task;

    [DebuggerStepThrough]
    public void Start<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine
    {
        if (!InlineStart.TryRun(ref stateMachine)) _builder.Start(ref stateMachine);
    }

    public void SetStateMachine(IAsyncStateMachine stateMachine) => _builder.SetStateMachine(stateMachine);

    public void SetResult() => _builder.SetResult();

    public void SetException(Exception exception) => _builder.SetException(exception);

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion where TStateMachine : IAsyncStateMachine =>
        _builder.AwaitOnCompleted(ref awaiter, ref stateMachine);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion where TStateMachine : IAsyncStateMachine =>
        _builder.AwaitUnsafeOnCompleted(ref awaiter, ref stateMachine);
}

/// <summary><see cref="AsyncTaskMethodBuilder{TResult}"/>, started by <see cref="InlineStart.TryRun"/>.</summary>
internal struct InlineStartTaskBuilder<TResult>
{
    private AsyncTaskMethodBuilder<TResult> _builder;

    public static InlineStartTaskBuilder<TResult> Create() => default;

    public Task<TResult> Task => _builder.Task;

    [DebuggerStepThrough]
    public void Start<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine
    {
        if (!InlineStart.TryRun(ref stateMachine)) _builder.Start(ref stateMachine);
    }

    public void SetStateMachine(IAsyncStateMachine stateMachine) => _builder.SetStateMachine(stateMachine);

    public void SetResult(TResult result) => _builder.SetResult(result);

    public void SetException(Exception exception) => _builder.SetException(exception);

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion where TStateMachine : IAsyncStateMachine =>
        _builder.AwaitOnCompleted(ref awaiter, ref stateMachine);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion where TStateMachine : IAsyncStateMachine =>
        _builder.AwaitUnsafeOnCompleted(ref awaiter, ref stateMachine);
}

/// <summary><see cref="AsyncValueTaskMethodBuilder"/>, started by <see cref="InlineStart.TryRun"/>.</summary>
internal struct InlineStartValueTaskBuilder
{
    private AsyncValueTaskMethodBuilder _builder;

    public static InlineStartValueTaskBuilder Create() => default;

    public ValueTask Task => _builder.Task;

    [DebuggerStepThrough]
    public void Start<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine
    {
        if (!InlineStart.TryRun(ref stateMachine)) _builder.Start(ref stateMachine);
    }

    public void SetStateMachine(IAsyncStateMachine stateMachine) => _builder.SetStateMachine(stateMachine);

    public void SetResult() => _builder.SetResult();

    public void SetException(Exception exception) => _builder.SetException(exception);

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion where TStateMachine : IAsyncStateMachine =>
        _builder.AwaitOnCompleted(ref awaiter, ref stateMachine);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion where TStateMachine : IAsyncStateMachine =>
        _builder.AwaitUnsafeOnCompleted(ref awaiter, ref stateMachine);
}
