using System.Runtime.CompilerServices;
using Profiler.Storage;
using Profiler.Domain;

namespace ThirdPartyDriver;

/// <summary><c>jsonl:////absolute/folder</c>: one JSON Lines file per trace. A toy store for the plugin test.</summary>
public sealed class JsonLinesDriver : ITraceStoreDriver
{
    public string Name => "jsonl";
    public IReadOnlyList<string> Schemes { get; } = ["jsonl"];

    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) =>
        new JsonLinesStore(connectionString.Path ?? throw new FormatException($"'{connectionString}' names no folder"), settings);
}

internal sealed class JsonLinesStore(string folder, DriverSettings settings) : ITraceStore
{
    private static readonly SemaphoreSlim Lock = new(1, 1);

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        await Lock.WaitAsync(cancellationToken);
        try
        {
            foreach (var group in points.GroupBy(p => p.BaseId))
                await File.AppendAllLinesAsync(Path.Combine(folder, group.Key + ".jsonl"),
                    group.Select(p => System.Text.Encoding.UTF8.GetString(TracePointJson.ToUtf8(p, settings.Project, settings.Service))),
                    cancellationToken);
        }
        finally
        {
            Lock.Release();
        }
    }

    public async IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var file = Path.Combine(folder, baseId + ".jsonl");
        if (!File.Exists(file)) yield break;
        await foreach (var line in File.ReadLinesAsync(file, cancellationToken))
            yield return StoredPoint.FromDocument(line);
    }

    public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) =>
        Task.FromResult(query.ErrorsOnly
            ? List(query, file => File.ReadAllText(file).Contains("\"etype\"", StringComparison.Ordinal))
            : List(query, _ => true));

    private TracePage List(TraceListQuery query, Func<string, bool> keep)
    {
        if (!Directory.Exists(folder)) return new TracePage([], null);
        var traces = Directory.GetFiles(folder, "*.jsonl").Where(keep)
            .Select(f => new TraceSummary(Path.GetFileNameWithoutExtension(f),
                File.ReadLines(f).Select(StoredPoint.FromDocument).Where(p => p.IsReadable).Min(p => p.Timestamp).ToString(),
                new Dictionary<string, string?>()))
            .OrderByDescending(t => t.Timestamp).Take(query.Limit).ToList();
        return new TracePage(traces, null);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
