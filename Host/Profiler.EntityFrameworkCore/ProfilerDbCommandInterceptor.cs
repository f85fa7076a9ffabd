using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Profiler.Instrumentation;

namespace Profiler.EntityFrameworkCore;

/// <summary>
/// An EF Core interceptor (add it with <c>AddProfilerInterceptor</c>) that, inside a
/// trace, traces every command as <c>db</c> with OSProfiler's <c>trace_sqlalchemy</c> info:
/// <c>{"db": {"statement": "SELECT …", "params": {"@p0": 1}}}</c>. A failed command's stop point carries
/// <c>etype</c>/<c>message</c>. Outside a trace it does nothing.
/// </summary>
public sealed class ProfilerDbCommandInterceptor : DbCommandInterceptor
{
    /// <summary>The point name OSProfiler's SQLAlchemy integration uses.</summary>
    public const string PointName = "db";

    private readonly ConcurrentDictionary<Guid, TraceScope> _open = new();
    private readonly bool _includeParameterValues;

    /// <summary>Creates the interceptor.</summary>
    /// <param name="includeParameterValues">Put parameter values into <c>params</c> (as OSProfiler does). Default true; false keeps only their names (values <c>null</c>).</param>
    public ProfilerDbCommandInterceptor(bool includeParameterValues = true) => _includeParameterValues = includeParameterValues;

    /// <inheritdoc />
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Start(command, eventData);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Start(command, eventData);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Stop(eventData, null);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        Stop(eventData, null);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Start(command, eventData);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Start(command, eventData);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Stop(eventData, null);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result,
        CancellationToken cancellationToken = default)
    {
        Stop(eventData, null);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Start(command, eventData);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Start(command, eventData);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Stop(eventData, null);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result,
        CancellationToken cancellationToken = default)
    {
        Stop(eventData, null);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => Stop(eventData, eventData.Exception);

    /// <inheritdoc />
    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Stop(eventData, eventData.Exception);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override void CommandCanceled(DbCommand command, CommandEndEventData eventData) =>
        Stop(eventData, new OperationCanceledException("the command was canceled"));

    /// <inheritdoc />
    public override Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Stop(eventData, new OperationCanceledException("the command was canceled"));
        return Task.CompletedTask;
    }

    private void Start(DbCommand command, CommandEventData eventData)
    {
        if (TraceProfiler.Current is not { } profiler) return;
        var parameters = new JsonObject();
        foreach (DbParameter p in command.Parameters)
            parameters[p.ParameterName] = _includeParameterValues ? ToJson(p.Value) : null;
        var info = new JsonObject { ["db"] = new JsonObject { ["statement"] = command.CommandText, ["params"] = parameters } };
        _open[eventData.CommandId] = profiler.TraceLeaf(PointName, info);
    }

    private void Stop(CommandEventData eventData, Exception? error)
    {
        if (!_open.TryRemove(eventData.CommandId, out var scope)) return;
        if (error is not null) scope.Fail(error);
        scope.Dispose();
    }

    private static JsonNode? ToJson(object? value) => value switch
    {
        null or DBNull => null,
        string s => s,
        bool b => b,
        int i => i,
        long l => l,
        short s16 => s16,
        byte u8 => u8,
        double d when double.IsFinite(d) => d,
        float f when float.IsFinite(f) => f,
        decimal m => m,
        DateTime dt => dt.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset dto => dto.ToString("O", CultureInfo.InvariantCulture),
        byte[] bytes => $"<{bytes.Length} bytes>",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
