using System.Text;
using Profiler.Domain.Reports;

namespace Profiler.Hosting.Rendering;

/// <summary>
/// The report as a Graphviz digraph (like OSProfiler's <c>--dot</c>): one box per operation labelled with its
/// name, its time and where it ran; edges from parent to child; failed operations in red.
/// </summary>
public static class DotReportRenderer
{
    public static void Render(TraceReport report, string baseId, TextWriter output)
    {
        output.Write("digraph \"");
        output.Write(Escape(baseId));
        output.WriteLine("\" {");
        output.WriteLine("  node [shape=box, fontname=\"Helvetica\"];");
        output.WriteLine($"  \"0\" [label=\"total\\n{report.Finished ?? 0} ms\"];");
        var stack = new Stack<(string Parent, ReportNode Node)>();
        for (var i = report.Children.Count - 1; i >= 0; i--) stack.Push(("0", report.Children[i]));
        while (stack.Count > 0)
        {
            var (parent, node) = stack.Pop();
            var id = Escape(node.TraceId);
            var where = string.Join("/", new[] { node.Project, node.Service }.Where(s => !string.IsNullOrEmpty(s)));
            if (!string.IsNullOrEmpty(node.Host)) where += (where.Length > 0 ? " @ " : "") + node.Host;
            var label = new StringBuilder(Escape(node.Name))
                .Append($"\\n{node.Started}–{node.Finished} ms ({node.Duration} ms)");
            if (where.Length > 0) label.Append("\\n").Append(Escape(where));
            var failed = node.Exception is not null and not "None";
            if (failed) label.Append("\\n").Append(Escape(node.Exception!));
            output.WriteLine($"  \"{id}\" [label=\"{label}\"{(failed ? ", color=red, fontcolor=red" : "")}];");
            output.WriteLine($"  \"{Escape(parent)}\" -> \"{id}\";");
            for (var i = node.Children.Count - 1; i >= 0; i--) stack.Push((node.TraceId, node.Children[i]));
        }
        output.WriteLine("}");
    }

    public static string Render(TraceReport report, string baseId)
    {
        using var writer = new StringWriter();
        Render(report, baseId, writer);
        return writer.ToString();
    }

    private static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                _ when char.IsControl(c) => " ",
                _ => c.ToString(),
            });
        return sb.ToString();
    }
}
