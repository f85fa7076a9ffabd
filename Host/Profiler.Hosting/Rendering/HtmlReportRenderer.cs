using System.Net;
using System.Text;
using Profiler.Domain.Reports;

namespace Profiler.Hosting.Rendering;

/// <summary>
/// One self-contained HTML page (no network access: inline CSS and script, no fonts or CDNs) showing a report:
/// a collapsible tree with timing bars scaled to the trace, per-operation stats, a regular-expression span filter
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
    public static void Render(TraceReport report, string baseId, TextWriter output, string? listUrl = null)
    {
        var json = ReportJson.ToJson(report, indented: false);
        PageAssets.WriteHead(output, "Trace " + WebUtility.HtmlEncode(baseId), PageAssets.BaseStyle, PageAssets.ReportStyle);
        PageAssets.Fill(output, PageAssets.Read(PageAssets.ReportTemplate), new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["base_id"] = WebUtility.HtmlEncode(baseId),
            ["list_link"] = listUrl is null ? "" : $"<a id=\"list-link\" href=\"{WebUtility.HtmlEncode(listUrl)}\">← all traces</a>",
        });
        // '<', '>' and '&' occur in JSON only inside strings, where \u escapes mean the same: nothing can close the script.
        output.Write(json.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal)
            .Replace("&", "\\u0026", StringComparison.Ordinal).Replace("\u2028", "\\u2028", StringComparison.Ordinal)
            .Replace("\u2029", "\\u2029", StringComparison.Ordinal));
        output.Write("</script>\n<script>");
        output.Write(PageAssets.Read(PageAssets.ReportScript));
        output.Write("</script>\n</body>\n</html>\n");
    }

    public static string Render(TraceReport report, string baseId, string? listUrl = null)
    {
        var sb = new StringBuilder();
        using (var writer = new StringWriter(sb)) Render(report, baseId, writer, listUrl);
        return sb.ToString();
    }
}
