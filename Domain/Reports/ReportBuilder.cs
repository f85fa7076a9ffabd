namespace Profiler.Domain.Reports;

/// <summary>
/// Builds OSProfiler's report (docs/osprofiler-formats.md §4) from a stream of stored points in O(n log n).
/// Feed every point of one trace with <see cref="Add"/>, then call <see cref="Build"/> once.
/// </summary>
/// <remarks>
/// Deliberate differences from OSProfiler: a node's name keeps everything before the
/// <c>-start</c>/<c>-stop</c> suffix; a node whose parents form a cycle is shown at the top level instead of
/// being lost; unreadable points are counted in <see cref="TraceReport.SkippedPoints"/>.
/// </remarks>
public sealed class ReportBuilder
{
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly List<Node> _order = [];
    // Point name -> operation name: one string per operation, not one per node.
    private readonly Dictionary<string, string> _operationNames = new(StringComparer.Ordinal);
    private TraceTimestamp? _startedAt, _finishedAt, _lastStartedAt;
    private int _points, _skipped;

    /// <summary>Points added so far, readable or not.</summary>
    public int Count => _points + _skipped;

    /// <summary>Adds one point; an unreadable point is only counted.</summary>
    public void Add(StoredPoint point)
    {
        if (!point.IsReadable)
        {
            _skipped++;
            return;
        }
        _points++;
        if (!_nodes.TryGetValue(point.TraceId, out var node))
        {
            if (!_operationNames.TryGetValue(point.Name, out var operation))
                _operationNames.Add(point.Name, operation = OperationName(point.Name));
            node = new Node(point.TraceId, point.ParentId, operation, point.Project, point.Service, point.Host, _order.Count);
            _nodes.Add(point.TraceId, node);
            _order.Add(node);
        }
        node.SetPayload(point.Name, point.RawPayloadUtf8);

        var ts = point.Timestamp;
        if (point.Name.EndsWith("stop", StringComparison.Ordinal))
        {
            node.Finished = ts;
            node.Exception = point.HasInfo ? point.ErrorType ?? "None" : "None";
        }
        else
        {
            node.Started = ts;
            if (_lastStartedAt is null || _lastStartedAt < ts) _lastStartedAt = ts;
        }
        if (_startedAt is null || _startedAt > ts) _startedAt = ts;
        if (_finishedAt is null || _finishedAt < ts) _finishedAt = ts;
    }

    /// <summary>The operation name of a point name: the text before <c>-start</c> or <c>-stop</c>.</summary>
    public static string OperationName(string pointName)
    {
        if (pointName.EndsWith("-start", StringComparison.Ordinal)) return pointName[..^6];
        if (pointName.EndsWith("-stop", StringComparison.Ordinal)) return pointName[..^5];
        return pointName;
    }

    /// <summary>Builds the report.</summary>
    public TraceReport Build()
    {
        var origin = _startedAt ?? default;
        var stats = new Dictionary<string, OperationStats>(StringComparer.Ordinal);
        var statOrder = new List<string>();
        var built = new ReportNode[_order.Count];
        for (var i = 0; i < _order.Count; i++)
        {
            var n = _order[i];
            var started = (n.Started ?? n.Finished!.Value).MillisecondsSince(origin);
            var finished = (n.Finished ?? n.Started!.Value).MillisecondsSince(origin);
            built[i] = new ReportNode
            {
                TraceId = n.TraceId, ParentId = n.ParentId, Name = n.Name, Project = n.Project, Service = n.Service,
                Host = n.Host, Started = started, Finished = finished, Exception = n.Exception, RawPayloads = n.Payloads,
            };
            if (stats.TryGetValue(n.Name, out var s)) stats[n.Name] = new OperationStats(s.Count + 1, s.Duration + finished - started);
            else
            {
                stats.Add(n.Name, new OperationStats(1, finished - started));
                statOrder.Add(n.Name);
            }
        }

        var roots = new List<ReportNode>();
        var parentOf = new int[built.Length];
        for (var i = 0; i < built.Length; i++)
        {
            var node = built[i];
            if (node.ParentId != node.TraceId && _nodes.TryGetValue(node.ParentId, out var parent))
            {
                parentOf[i] = parent.Index;
                built[parent.Index].Children.Add(node);
            }
            else
            {
                parentOf[i] = -1;
                roots.Add(node);
            }
        }
        PromoteCycles(built, parentOf, roots);

        foreach (var node in built) SortByStart(node.Children);
        SortByStart(roots);

        return new TraceReport
        {
            Finished = _startedAt is null ? null : _finishedAt!.Value.MillisecondsSince(origin),
            LastTraceStarted = _startedAt is null || _lastStartedAt is null ? null : _lastStartedAt.Value.MillisecondsSince(origin),
            Children = roots,
            Stats = statOrder.Select(name => KeyValuePair.Create(name, stats[name])).ToList(),
            PointCount = _points,
            SkippedPoints = _skipped,
        };
    }

    // Nodes whose ancestors loop back on themselves are unreachable from the roots; OSProfiler loses them.
    // Walk from the roots, then lift the first unreached node of each cycle to the top level.
    private void PromoteCycles(ReportNode[] built, int[] parentOf, List<ReportNode> roots)
    {
        var reached = new bool[built.Length];
        var stack = new Stack<ReportNode>();
        void Walk(ReportNode start)
        {
            stack.Push(start);
            while (stack.Count > 0)
            {
                var n = stack.Pop();
                reached[_nodes[n.TraceId].Index] = true;
                foreach (var c in n.Children) stack.Push(c);
            }
        }
        foreach (var r in roots) Walk(r);
        for (var i = 0; i < built.Length; i++)
        {
            if (reached[i]) continue;
            // Follow parents until one repeats: that node is on the cycle.
            var j = i;
            var seen = new HashSet<int>();
            while (seen.Add(j)) j = parentOf[j];
            built[parentOf[j]].Children.Remove(built[j]);
            parentOf[j] = -1;
            roots.Add(built[j]);
            Walk(built[j]);
        }
    }

    // Stable, like Python's sorted(): ties keep the order in which the nodes first appeared.
    private static void SortByStart(List<ReportNode> nodes)
    {
        if (nodes.Count < 2) return;
        for (var i = 1; i < nodes.Count; i++)
            if (nodes[i].Started < nodes[i - 1].Started)
            {
                var sorted = nodes.OrderBy(n => n.Started).ToArray();
                nodes.Clear();
                nodes.AddRange(sorted);
                return;
            }
    }

    private sealed class Node(string traceId, string parentId, string name, string? project, string? service, string? host, int index)
    {
        public string TraceId { get; } = traceId;
        public string ParentId { get; } = parentId;
        public string Name { get; } = name;
        public string? Project { get; } = project;
        public string? Service { get; } = service;
        public string? Host { get; } = host;
        public int Index { get; } = index;
        public TraceTimestamp? Started { get; set; }
        public TraceTimestamp? Finished { get; set; }
        public string? Exception { get; set; }
        public List<KeyValuePair<string, ReadOnlyMemory<byte>>> Payloads { get; } = new(2);

        public void SetPayload(string pointName, ReadOnlyMemory<byte> raw)
        {
            for (var i = 0; i < Payloads.Count; i++)
                if (Payloads[i].Key == pointName)
                {
                    Payloads[i] = KeyValuePair.Create(pointName, raw);
                    return;
                }
            Payloads.Add(KeyValuePair.Create(pointName, raw));
        }
    }
}
