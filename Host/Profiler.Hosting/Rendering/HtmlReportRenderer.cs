using System.Net;
using System.Text;
using System.Text.Json;
using Profiler.Domain.Reports;

namespace Profiler.Hosting.Rendering;

/// <summary>
/// One self-contained HTML page (no network access: inline CSS and script, no fonts or CDNs) showing a report:
/// a collapsible tree with timing bars scaled to the trace and self time beside total, a flame graph (icicle) of the
/// same tree on a canvas, the critical path highlighted and listed, repeated statements flagged on their parent
/// (<see cref="TraceAnalysis"/>), per-operation stats, a regular-expression span filter
/// over name, project, service and host, and each node's raw payload on demand. The tree is flattened once and
/// only the rows in view are drawn, so expanding, collapsing and filtering a trace of tens of thousands of
/// operations stays fast. Trace data reaches the page only as JSON in a non-executed script element and is drawn
/// with textContent, never as markup.
/// </summary>
public static class HtmlReportRenderer
{
    /// <summary>
    /// The CSP source (<c>'sha256-…'</c>) of the page's only executable script, for a
    /// <c>Content-Security-Policy: script-src</c> that allows it and nothing else.
    /// </summary>
    public static string ScriptHashSource => PageAssets.ReportScriptHashSource;

    /// <summary>Writes the page (templates, CSS and script from <see cref="PageAssets"/>). <paramref name="listUrl"/>, when given, is linked as "all traces".</summary>
    public static void Render(TraceReport report, string baseId, TextWriter output, string? listUrl = null) =>
        Render(report, baseId, output, listUrl, actions: null);

    /// <summary>
    /// Writes the page; with <paramref name="actions"/> (the web shell only) it gains Pin, Unpin and Delete buttons
    /// calling the lifecycle API, and their script (<see cref="PageAssets.ActionsScript"/>).
    /// </summary>
    internal static void Render(TraceReport report, string baseId, TextWriter output, string? listUrl, TraceActions? actions)
    {
        var json = ReportJson.ToJson(report, indented: false);
        PageAssets.WriteHead(output, "Trace " + WebUtility.HtmlEncode(baseId), PageAssets.BaseStyle, PageAssets.ReportStyle);
        PageAssets.Fill(output, PageAssets.Read(PageAssets.ReportTemplate), new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["base_id"] = WebUtility.HtmlEncode(baseId),
            ["actions"] = actions is null ? "" : Actions(actions, baseId),
            ["list_link"] = listUrl is null ? "" : $"<a id=\"list-link\" href=\"{WebUtility.HtmlEncode(listUrl)}\">← all traces</a>",
        });
        output.Write(ScriptSafe(json));
        output.Write("</script>\n<script id=\"analysis-data\" type=\"application/json\">");
        output.Write(ScriptSafe(PageAnalysisJson(TraceAnalysis.Analyze(report))));
        output.Write("</script>\n<script>");
        output.Write(PageAssets.Read(PageAssets.ReportScript));
        if (actions is not null)
        {
            output.Write("</script>\n<script>");
            output.Write(PageAssets.Read(PageAssets.ActionsScript));
        }
        output.Write("</script>\n</body>\n</html>\n");
    }

    // '<', '>' and '&' occur in JSON only inside strings, where \u escapes mean the same: nothing can close the script.
    private static string ScriptSafe(string json) =>
        json.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal)
            .Replace("&", "\\u0026", StringComparison.Ordinal).Replace("\u2028", "\\u2028", StringComparison.Ordinal)
            .Replace("\u2029", "\\u2029", StringComparison.Ordinal);

    /// <summary>
    /// The analysis as the page's script reads it, indexed by the operations' pre-order position (the order in which the
    /// script flattens the report): <c>self</c> (ms per operation), <c>crit</c> (positions on the critical path),
    /// <c>spans</c> (<c>[position, start, end]</c> where the analysis' interval differs from the report's, as for an
    /// unfinished operation), <c>repeated</c> (<c>{parent, parent_id, statement, count, total_ms}</c>, parent -1 at the
    /// top level) and <c>by_name</c> (self ms per operation name).
    /// </summary>
    internal static string PageAnalysisJson(TraceAnalysis analysis)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteStartArray("self");
            foreach (var op in analysis.Operations) w.WriteNumberValue(op.SelfMs);
            w.WriteEndArray();
            w.WriteStartArray("crit");
            foreach (var op in analysis.CriticalPath) w.WriteNumberValue(op.Index);
            w.WriteEndArray();
            w.WriteStartArray("spans");
            foreach (var op in analysis.Operations)
            {
                if (op.Start == op.Node.Started && op.End == op.Node.Finished) continue;
                w.WriteStartArray();
                w.WriteNumberValue(op.Index);
                w.WriteNumberValue(op.Start);
                w.WriteNumberValue(op.End);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteStartArray("repeated");
            foreach (var r in analysis.RepeatedStatements)
            {
                w.WriteStartObject();
                w.WriteNumber("parent", r.Parent?.Index ?? -1);
                w.WriteString("parent_id", r.ParentId);
                w.WriteString("statement", r.Statement);
                w.WriteNumber("count", r.Count);
                w.WriteNumber("total_ms", r.TotalMs);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("by_name");
            foreach (var (name, t) in analysis.ByName) w.WriteNumber(name, t.SelfMs);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static string Actions(TraceActions actions, string baseId)
    {
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        PageAssets.Fill(writer, PageAssets.Read(PageAssets.ActionsTemplate), new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["api"] = WebUtility.HtmlEncode(actions.ApiUrl),
            ["list"] = WebUtility.HtmlEncode(actions.ListUrl),
            ["key_required"] = actions.KeyRequired ? "true" : "false",
            // The web shell's compare page sits beside its list page.
            ["compare"] = WebUtility.HtmlEncode(actions.ListUrl + "compare?a=" + Uri.EscapeDataString(baseId)),
        });
        return writer.ToString();
    }

    public static string Render(TraceReport report, string baseId, string? listUrl = null)
    {
        var sb = new StringBuilder();
        using (var writer = new StringWriter(sb)) Render(report, baseId, writer, listUrl);
        return sb.ToString();
    }
}

/// <summary>The web shell's trace actions on a report page.</summary>
/// <param name="ApiUrl">The trace's API URL, relative to the page (e.g. <c>../api/v1/traces/&lt;id&gt;</c>).</param>
/// <param name="ListUrl">Where to go after deleting.</param>
/// <param name="KeyRequired">Whether the server has an ingest key: the buttons ask for it first.</param>
internal sealed record TraceActions(string ApiUrl, string ListUrl, bool KeyRequired);
