using System.Text.Json;

namespace Profiler.Domain.Reports;

/// <summary>
/// What made a trace slow, computed from its <see cref="TraceReport"/> (docs/analysis.md): the critical path, the
/// self (exclusive) time of every operation and per operation name, the statements repeated under one parent
/// (N+1 queries), and the operations with the most self time. Every walk is iterative, so a trace of any depth works.
/// </summary>
public sealed class TraceAnalysis
{
    /// <summary>Statements run this many times or more under one parent are reported: 5.</summary>
    public const int RepeatThreshold = 5;

    /// <summary>How many operations <see cref="Slowest"/> holds at most: 10.</summary>
    public const int SlowestCount = 10;

    private TraceAnalysis(TraceReport report, List<AnalyzedOperation> operations)
    {
        Report = report;
        Operations = operations;
    }

    /// <summary>The analysed report.</summary>
    public TraceReport Report { get; }

    /// <summary>Every operation in pre-order (parents before children, siblings in report order).</summary>
    public IReadOnlyList<AnalyzedOperation> Operations { get; }

    /// <summary>The critical path's operations, in pre-order (parents before children, siblings by start).</summary>
    public IReadOnlyList<AnalyzedOperation> CriticalPath { get; private set; } = [];

    /// <summary>Per operation name, ordinal order: count, inclusive and exclusive milliseconds.</summary>
    public IReadOnlyList<KeyValuePair<string, NameTimes>> ByName { get; private set; } = [];

    /// <summary>Normalised statements run <see cref="RepeatThreshold"/> or more times under one parent, most total time first.</summary>
    public IReadOnlyList<RepeatedStatement> RepeatedStatements { get; private set; } = [];

    /// <summary>The <see cref="SlowestCount"/> operations with the most self time, most first (ties: more total time, then pre-order).</summary>
    public IReadOnlyList<AnalyzedOperation> Slowest { get; private set; } = [];

    /// <summary>The trace's duration in ms: the report's <see cref="TraceReport.Finished"/>, or 0 for an empty trace.</summary>
    public long DurationMs => Report.Finished ?? 0;

    /// <summary>Analyses <paramref name="report"/>.</summary>
    public static TraceAnalysis Analyze(TraceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var operations = Flatten(report);
        var analysis = new TraceAnalysis(report, operations);
        ComputeIntervals(operations);
        ComputeSelfTimes(operations);
        analysis.CriticalPath = CriticalPathOf(report, operations);
        analysis.ByName = ByNameOf(operations);
        analysis.RepeatedStatements = RepeatedOf(operations);
        analysis.Slowest = operations
            .OrderByDescending(o => o.SelfMs).ThenByDescending(o => o.TotalMs).ThenBy(o => o.Index)
            .Take(SlowestCount).ToList();
        return analysis;
    }

    private static List<AnalyzedOperation> Flatten(TraceReport report)
    {
        var result = new List<AnalyzedOperation>();
        var stack = new Stack<(ReportNode Node, int Depth, AnalyzedOperation? Parent)>();
        for (var i = report.Children.Count - 1; i >= 0; i--) stack.Push((report.Children[i], 0, null));
        while (stack.Count > 0)
        {
            var (node, depth, parent) = stack.Pop();
            var op = new AnalyzedOperation(node, result.Count, depth, parent);
            result.Add(op);
            parent?.ChildList.Add(op);
            for (var i = node.Children.Count - 1; i >= 0; i--) stack.Push((node.Children[i], depth + 1, op));
        }
        return result;
    }

    // Effective intervals: an operation without a stop point ran at least until the last of its children ended;
    // one without a start point began no later than the first of its children began. Children come after their
    // parent in pre-order, so one backwards pass sees every child before its parent.
    private static void ComputeIntervals(List<AnalyzedOperation> operations)
    {
        for (var i = operations.Count - 1; i >= 0; i--)
        {
            var op = operations[i];
            long start = op.Node.Started, end = op.Node.Finished;
            if (!op.Finished)
                foreach (var c in op.ChildList) end = Math.Max(end, c.End);
            if (!op.HasStart)
                foreach (var c in op.ChildList) start = Math.Min(start, c.Start);
            op.Start = start;
            op.End = Math.Max(start, end);
        }
    }

    // Self time: the operation's interval minus the union of its children's intervals clipped to it, so children
    // that overlap each other are subtracted once, and a child's time outside its parent is not subtracted at all.
    private static void ComputeSelfTimes(List<AnalyzedOperation> operations)
    {
        var clipped = new List<(long Start, long End)>();
        foreach (var op in operations)
        {
            clipped.Clear();
            foreach (var c in op.ChildList)
            {
                long s = Math.Max(c.Start, op.Start), e = Math.Min(c.End, op.End);
                if (e > s) clipped.Add((s, e));
            }
            op.SelfMs = op.TotalMs - UnionLength(clipped);
        }
    }

    /// <summary>The length covered by the union of <paramref name="intervals"/> (sorted in place by start).</summary>
    public static long UnionLength(List<(long Start, long End)> intervals)
    {
        if (intervals.Count == 0) return 0;
        intervals.Sort((x, y) => x.Start.CompareTo(y.Start));
        long covered = 0, runStart = intervals[0].Start, runEnd = intervals[0].End;
        for (var i = 1; i < intervals.Count; i++)
        {
            var (s, e) = intervals[i];
            if (s > runEnd)
            {
                covered += runEnd - runStart;
                runStart = s;
                runEnd = e;
            }
            else if (e > runEnd) runEnd = e;
        }
        return covered + runEnd - runStart;
    }

    // Walk back from the end of a span through the latest-finishing child that ends at or before the cursor, descend
    // into it, move the cursor to its start, and repeat. Children are clipped to their parent first. The trace is
    // the outermost span: from 0 to its last point, with the top-level operations as its children.
    private static List<AnalyzedOperation> CriticalPathOf(TraceReport report, List<AnalyzedOperation> operations)
    {
        var onPath = new bool[operations.Count];
        var top = operations.Where(o => o.Parent is null).ToList();
        var traceEnd = Math.Max(report.Finished ?? 0, top.Count == 0 ? 0 : top.Max(o => o.End));
        var work = new Stack<(long Start, long End, IReadOnlyList<AnalyzedOperation> Children)>();
        work.Push((0, traceEnd, top));
        while (work.Count > 0)
        {
            var (start, end, children) = work.Pop();
            var candidates = new List<(long Start, long End, AnalyzedOperation Op)>(children.Count);
            foreach (var c in children)
            {
                long s = Math.Max(c.Start, start), e = Math.Min(c.End, end);
                if (e >= s) candidates.Add((s, e, c));
            }
            // Latest end first; on equal ends the later start (the later of two back-to-back operations), then the
            // later sibling.
            candidates.Sort((x, y) => x.End != y.End ? y.End.CompareTo(x.End)
                : x.Start != y.Start ? y.Start.CompareTo(x.Start) : y.Op.Index.CompareTo(x.Op.Index));
            var cursor = end;
            foreach (var (s, e, op) in candidates)
            {
                // A child that ends after the cursor ran alongside the one already chosen and did not hold anything up.
                if (e > cursor) continue;
                onPath[op.Index] = true;
                op.OnCriticalPath = true;
                work.Push((s, e, op.ChildList));
                cursor = s;
            }
        }
        var path = new List<AnalyzedOperation>();
        for (var i = 0; i < operations.Count; i++)
            if (onPath[i]) path.Add(operations[i]);
        return path;
    }

    private static List<KeyValuePair<string, NameTimes>> ByNameOf(List<AnalyzedOperation> operations)
    {
        var byName = new Dictionary<string, NameTimes>(StringComparer.Ordinal);
        foreach (var op in operations)
        {
            byName.TryGetValue(op.Name, out var t);
            byName[op.Name] = new NameTimes(t.Count + 1, t.TotalMs + op.TotalMs, t.SelfMs + op.SelfMs);
        }
        return byName.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
    }

    private static List<RepeatedStatement> RepeatedOf(List<AnalyzedOperation> operations)
    {
        var groups = new Dictionary<(int Parent, string Statement), (int Count, long TotalMs, int First, string ParentId)>();
        foreach (var op in operations)
        {
            var statement = StatementOf(op.Node);
            if (statement is null) continue;
            var key = (op.Parent?.Index ?? -1, SqlStatement.Normalize(statement));
            groups.TryGetValue(key, out var g);
            groups[key] = (g.Count + 1, g.TotalMs + op.TotalMs, g.Count == 0 ? op.Index : g.First, op.Parent?.TraceId ?? op.Node.ParentId);
        }
        return groups.Where(g => g.Value.Count >= RepeatThreshold)
            .OrderByDescending(g => g.Value.TotalMs).ThenByDescending(g => g.Value.Count).ThenBy(g => g.Value.First)
            .Select(g => new RepeatedStatement(g.Key.Statement, g.Value.Count, g.Value.ParentId,
                g.Key.Parent < 0 ? null : operations[g.Key.Parent], g.Value.TotalMs))
            .ToList();
    }

    /// <summary>
    /// The operation's database statement: <c>info.db.statement</c> of its first stored point that has one (the start
    /// point, as OSProfiler's SQLAlchemy tracepoints and the EF Core interceptor record it); null when none does.
    /// </summary>
    public static string? StatementOf(ReportNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        foreach (var (_, raw) in node.RawPayloads)
        {
            if (raw.Span.IndexOf("\"statement\""u8) < 0) continue;
            try
            {
                var reader = new Utf8JsonReader(raw.Span);
                using var doc = JsonDocument.ParseValue(ref reader);
                if (doc.RootElement.ValueKind == JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("info", out var info) && info.ValueKind == JsonValueKind.Object
                    && info.TryGetProperty("db", out var db) && db.ValueKind == JsonValueKind.Object
                    && db.TryGetProperty("statement", out var st) && st.ValueKind == JsonValueKind.String)
                    return st.GetString();
            }
            catch (JsonException)
            {
                // A payload that is not JSON holds no statement.
            }
        }
        return null;
    }
}

/// <summary>One operation of an analysed trace.</summary>
public sealed class AnalyzedOperation
{
    internal AnalyzedOperation(ReportNode node, int index, int depth, AnalyzedOperation? parent)
    {
        Node = node;
        Index = index;
        Depth = depth;
        Parent = parent;
        Finished = node.Exception is not null;
        HasStart = node.RawPayloads.Count == 0 || node.RawPayloads.Any(p => p.Key.EndsWith("start", StringComparison.Ordinal));
    }

    /// <summary>The report's node.</summary>
    public ReportNode Node { get; }

    /// <summary>Its position in pre-order.</summary>
    public int Index { get; }

    /// <summary>0 for a top-level operation.</summary>
    public int Depth { get; }

    /// <summary>The enclosing operation; null at the top level.</summary>
    public AnalyzedOperation? Parent { get; }

    internal List<AnalyzedOperation> ChildList { get; } = [];

    /// <summary>The operations directly under this one, in report order.</summary>
    public IReadOnlyList<AnalyzedOperation> Children => ChildList;

    /// <summary>The operation name.</summary>
    public string Name => Node.Name;

    /// <summary>The operation's trace id.</summary>
    public string TraceId => Node.TraceId;

    /// <summary>Whether its stop point arrived.</summary>
    public bool Finished { get; }

    /// <summary>Whether its start point arrived (a report without raw payloads counts as having it).</summary>
    public bool HasStart { get; }

    /// <summary>Start in ms since the trace began; for an operation without a start point, no later than its first child's.</summary>
    public long Start { get; internal set; }

    /// <summary>End in ms since the trace began; for an unfinished operation, no earlier than its last child's.</summary>
    public long End { get; internal set; }

    /// <summary>Inclusive time: <see cref="End"/> minus <see cref="Start"/>.</summary>
    public long TotalMs => End - Start;

    /// <summary>Exclusive time: <see cref="TotalMs"/> less the union of the children's intervals clipped to this one.</summary>
    public long SelfMs { get; internal set; }

    /// <summary>Whether the operation is on the critical path.</summary>
    public bool OnCriticalPath { get; internal set; }
}

/// <summary>Per operation name: how many operations, their summed inclusive and exclusive milliseconds.</summary>
public readonly record struct NameTimes(int Count, long TotalMs, long SelfMs);

/// <summary>A normalised statement run <see cref="Count"/> times directly under one parent.</summary>
/// <param name="Statement">The statement with literals replaced by <c>?</c> (<see cref="SqlStatement.Normalize"/>).</param>
/// <param name="Count">How many operations ran it under the parent.</param>
/// <param name="ParentId">The parent's trace id (for top-level operations, their <c>parent_id</c>: usually the base id).</param>
/// <param name="Parent">The parent operation; null for top-level operations.</param>
/// <param name="TotalMs">Their summed inclusive milliseconds.</param>
public sealed record RepeatedStatement(string Statement, int Count, string ParentId, AnalyzedOperation? Parent, long TotalMs);
