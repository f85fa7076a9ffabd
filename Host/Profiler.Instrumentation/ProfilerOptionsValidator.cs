using System.Globalization;
using Microsoft.Extensions.Options;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Storage;

namespace Profiler.Instrumentation;

/// <summary>
/// Checks <see cref="ProfilerOptions"/> for <c>AddProfiler</c> (run when the host starts, through
/// <c>ValidateOnStart</c>, or at the first use of the options without a host): reports every bad value at once — those
/// configuration held (naming the key as written, e.g. <c>profiler:batch_size</c>) and those set in code (naming the
/// property) — each with its value and what is accepted. An HMAC key is never shown; a password in a connection
/// string is shown as <c>***</c>.
/// </summary>
public sealed class ProfilerOptionsValidator : IValidateOptions<ProfilerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ProfilerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Check(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every problem with <paramref name="o"/>, one sentence each; empty when there is none.</summary>
    internal static List<string> Check(ProfilerOptions o)
    {
        var errors = new List<string>(o.ConfigurationErrors);
        static string S(TimeSpan t) => t.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        if (o.BufferSize is < 1 or > ProfilerOptions.MaxBufferSize)
            errors.Add($"Profiler option BufferSize = {o.BufferSize} is out of range: use 1 to {ProfilerOptions.MaxBufferSize}.");
        if (o.BatchSize is < 1 or > RecordTracePointsCommand.MaxBatchSize)
            errors.Add($"Profiler option BatchSize = {o.BatchSize} is out of range: use 1 to {RecordTracePointsCommand.MaxBatchSize}.");
        var maxTimeout = TimeSpan.FromSeconds(ProfilerOptions.MaxTimeoutSeconds);
        if (o.SocketTimeout <= TimeSpan.Zero || o.SocketTimeout > maxTimeout)
            errors.Add($"Profiler option SocketTimeout = {S(o.SocketTimeout)} s is out of range: use more than 0 and at most {ProfilerOptions.MaxTimeoutSeconds} seconds.");
        if (o.FlushTimeout < TimeSpan.Zero || o.FlushTimeout > maxTimeout)
            errors.Add($"Profiler option FlushTimeout = {S(o.FlushTimeout)} s is out of range: use 0 to {ProfilerOptions.MaxTimeoutSeconds} seconds.");
        // The labels configuration checks as it reads them (ProfilerOptions.Bind): a bad one set in code would make every
        // point be rejected (or, for the store, fail every write).
        Label("Project", o.Project, errors);
        Label("Service", o.Service, errors);
        Label("Host", o.Host, errors);
        if (o.Ttl is { } ttl && (ttl < TimeSpan.FromSeconds(1) || ttl > Domain.RetentionPeriod.Max))
            errors.Add($"Profiler option Ttl = {S(ttl)} s is out of range: use {Domain.RetentionPeriod.Expected}.");
        if (o.HmacKeys is null)
            errors.Add("Profiler option HmacKeys is null: use an empty list for no keys.");
        else
            for (var i = 0; i < o.HmacKeys.Count; i++)
                if (string.IsNullOrEmpty(o.HmacKeys[i]))
                    errors.Add($"Profiler option HmacKeys holds an empty key (entry {i}): remove it.");
        if (string.IsNullOrWhiteSpace(o.SentinelServiceName))
            errors.Add($"Profiler option SentinelServiceName = '{o.SentinelServiceName}' is not valid: use a non-empty name.");
        else Label("SentinelServiceName", o.SentinelServiceName, errors);
        if (o.ActivitySources is null)
            errors.Add("Profiler option ActivitySources is null: use an empty list for none.");
        else if (o.ActivitySources.Any(string.IsNullOrWhiteSpace))
            errors.Add("Profiler option ActivitySources holds an empty name: remove it.");
        if (!string.IsNullOrEmpty(o.ConnectionString)
            && !o.ConfigurationErrors.Any(e => e.Contains("connection_string", StringComparison.OrdinalIgnoreCase) || e.Contains("ConnectionString", StringComparison.Ordinal))
            && !Domain.ConnectionString.TryParse(o.ConnectionString, out _, out var error))
            errors.Add($"Profiler option ConnectionString = '{Domain.ConnectionString.Redact(o.ConnectionString)}' is not valid: {error}");
        return errors;
    }

    private static void Label(string option, string? value, List<string> errors)
    {
        if (!TracePointRules.IsLabel(value))
            errors.Add($"Profiler option {option} = '{TracePointRules.Show(value)}' ({value!.Length} characters) is not valid: "
                       + $"use at most {TracePointRules.MaxNameLength} printable characters.");
    }
}
