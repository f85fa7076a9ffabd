using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Profiler.Instrumentation;

/// <summary>
/// Turns <see cref="Activity"/> start/stop of the named <see cref="ActivitySource"/>s into trace points, inside a trace
/// (an ambient <see cref="TraceProfiler"/>) only. The point name is the activity's operation name; start info is
/// <c>{"activity": {"source", "kind", "tags"}}</c>, stop info <c>{"activity": {"status", "tags"}}</c>, and an activity
/// that ends with status Error (or with an <c>exception</c> event) carries <c>etype</c>/<c>message</c>. Activities
/// nest like scopes: code inside an activity nests under it. Opt-in by source name: <see cref="ProfilerOptions.ActivitySources"/>.
/// </summary>
public sealed class ActivityBridge : IDisposable
{
    private const string ScopeProperty = "Profiler.TraceScope";
    private readonly ActivityListener _listener;

    /// <summary>Starts listening to the sources named in <paramref name="sourceNames"/> (exact, case-sensitive names).</summary>
    public ActivityBridge(IEnumerable<string> sourceNames)
    {
        var names = sourceNames.ToHashSet(StringComparer.Ordinal);
        _listener = new ActivityListener
        {
            ShouldListenTo = source => names.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) =>
                TraceProfiler.Current is null ? ActivitySamplingResult.None : ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = Started,
            ActivityStopped = Stopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Stops listening.</summary>
    public void Dispose() => _listener.Dispose();

    private static void Started(Activity activity)
    {
        if (TraceProfiler.Current is not { } profiler || string.IsNullOrEmpty(activity.OperationName)) return;
        var info = new JsonObject
        {
            ["activity"] = new JsonObject
            {
                ["source"] = activity.Source.Name,
                ["kind"] = activity.Kind.ToString(),
                ["tags"] = Tags(activity),
            },
        };
        activity.SetCustomProperty(ScopeProperty, profiler.Trace(activity.OperationName, info));
    }

    private static void Stopped(Activity activity)
    {
        if (activity.GetCustomProperty(ScopeProperty) is not TraceScope scope) return;
        activity.SetCustomProperty(ScopeProperty, null);
        scope.StopInfo["activity"] = new JsonObject { ["status"] = activity.Status.ToString(), ["tags"] = Tags(activity) };
        var exception = activity.Events.FirstOrDefault(e => e.Name == "exception");
        if (exception.Name is not null)
        {
            string? Tag(string key) => exception.Tags.FirstOrDefault(t => t.Key == key).Value?.ToString();
            scope.StopInfo["etype"] = Tag("exception.type") ?? "Exception";
            scope.StopInfo["message"] = Tag("exception.message") ?? "";
        }
        else if (activity.Status == ActivityStatusCode.Error)
        {
            scope.StopInfo["etype"] = "ActivityError";
            scope.StopInfo["message"] = activity.StatusDescription ?? "";
        }
        scope.Dispose();
    }

    private static JsonObject Tags(Activity activity)
    {
        var tags = new JsonObject();
        foreach (var (key, value) in activity.TagObjects)
            tags[key] = value switch
            {
                null => null,
                string s => s,
                bool b => b,
                int i => i,
                long l => l,
                double d when double.IsFinite(d) => d,
                _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
            };
        return tags;
    }
}
