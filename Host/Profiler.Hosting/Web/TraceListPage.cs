using System.Globalization;
using System.Net;
using System.Text;
using Profiler.Application.Traces.GetTraceOverviews;
using Profiler.Domain;
using Profiler.Hosting.Rendering;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// The trace list page (<c>GET /</c>, docs/search.md): a search form whose fields are the query string (so a search is
/// a shareable URL), the number of matches, an inline SVG scatter plot of the page's traces (start × duration, failed
/// ones marked; each dot links to its trace) and the table. Nothing is fetched and no script runs: links and a GET form.
/// </summary>
internal static class TraceListPage
{
    private const int PlotWidth = 960, PlotHeight = 240, Left = 64, Right = 16, Top = 12, Bottom = 36;

    public static string Render(TracePage page, IReadOnlyDictionary<string, TraceOverview> overviews,
        TraceEndpoints.ListRequest request, WebShellOptions options, long? total)
    {
        var html = new StringBuilder(8192 + page.Traces.Count * 600);
        var searching = !request.Search.IsEmpty;
        var title = searching ? "Search" : request.ErrorsOnly ? "Failed traces" : "Traces";
        html.Append(PageHead(title));
        html.Append("<header class=\"page\"><h1>").Append(title).Append("</h1><nav>")
            .Append(request.ErrorsOnly ? "<a id=\"all-traces\" href=\"./\">All traces</a> · <strong>Failed only</strong>"
                                        : "<strong>All traces</strong> · <a id=\"failed-traces\" href=\"./?errors=true\">Failed only</a>")
            .Append(" · <a id=\"json-link\" href=\"api/v1/traces").Append(Encode(Query(null, request, options, json: true))).Append("\">JSON</a>")
            .Append("</nav></header>\n<main>\n");
        Form(html, request, options);
        if (total is { } n)
            html.Append("<p id=\"total\" class=\"total\">").Append(n.ToString("N0", CultureInfo.InvariantCulture))
                .Append(n == 1 ? " trace" : " traces").Append(searching || request.ErrorsOnly ? " match" + (n == 1 ? "es" : "") : "").Append("</p>\n");
        if (page.Traces.Count == 0)
        {
            html.Append("<p class=\"empty\" id=\"empty\">")
                .Append(searching ? "No trace matches this search." :
                    request.Cursor is null ? "No traces yet. Send points to <code>POST api/v1/points</code> or run <code>profiler demo</code>." : "No more traces.")
                .Append("</p>\n");
        }
        else
        {
            Scatter(html, page.Traces);
            html.Append("<table class=\"traces\" id=\"traces\"><thead><tr><th>Started (UTC)</th><th>Trace</th>")
                .Append("<th class=\"num\">Duration</th><th class=\"num\">Operations</th><th>Status</th><th>Root operation</th><th>Services</th></tr></thead><tbody>\n");
            foreach (var t in page.Traces)
            {
                overviews.TryGetValue(t.BaseId, out var o);
                var failed = t.Error ?? o?.ErrorType is not null;
                var atLeast = t.DurationMs is null && o is { Partial: true } ? "≥ " : "";
                var duration = t.DurationMs is { } d ? Milliseconds(d) : o?.DurationMs is { } ms ? atLeast + ms.ToString(CultureInfo.InvariantCulture) + " ms" : "—";
                var operations = t.Operations is { } ops ? ops.ToString(CultureInfo.InvariantCulture)
                    : o is null ? "—" : atLeast + o.Operations.ToString(CultureInfo.InvariantCulture);
                html.Append("<tr").Append(failed ? " class=\"failed\"" : "").Append("><td class=\"ts\">")
                    .Append(Encode(t.Timestamp.Replace('T', ' ')))
                    .Append("</td><td><a class=\"trace-link\" href=\"traces/").Append(Encode(Uri.EscapeDataString(t.BaseId))).Append("\">")
                    .Append(Encode(t.BaseId)).Append("</a></td><td class=\"num duration\">").Append(duration)
                    .Append("</td><td class=\"num operations\">").Append(operations)
                    .Append("</td><td class=\"status\">")
                    .Append(failed
                        ? $"<span class=\"error-marker\" title=\"holds a failed operation\">✖ {Encode(o?.ErrorType ?? "failed")}</span>"
                        : t.Error is null && o is { Partial: true } ? "<span class=\"muted\">no failure in the points read</span>" : "<span class=\"ok\">ok</span>")
                    .Append("</td><td class=\"root\">").Append(Encode(t.Root ?? "—"))
                    .Append("</td><td class=\"services\">").Append(Encode(string.Join(", ", t.Services)))
                    .Append("</td></tr>\n");
            }
            html.Append("</tbody></table>\n");
        }
        html.Append("<nav class=\"pager\">");
        if (request.Cursor is not null)
            html.Append("<a id=\"first-page\" href=\"").Append(Encode("./" + Query(null, request, options))).Append("\">« First page</a> ");
        if (page.NextCursor is not null)
            html.Append("<a id=\"next-page\" rel=\"next\" href=\"").Append(Encode("./" + Query(page.NextCursor, request, options))).Append("\">Next page »</a>");
        html.Append("</nav>\n</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string Milliseconds(double ms) => ms.ToString(ms >= 100 ? "0" : "0.###", CultureInfo.InvariantCulture) + " ms";

    /// <summary>The search form: a GET of this page, its fields named as the API's query parameters.</summary>
    private static void Form(StringBuilder html, TraceEndpoints.ListRequest request, WebShellOptions options)
    {
        var s = request.Search;
        static string? Ms(string? duration) => duration is not null && duration.EndsWith("ms", StringComparison.Ordinal) ? duration[..^2] : duration;
        html.Append("<form id=\"search\" class=\"search\" method=\"get\" action=\"./\">");
        void Field(string name, string label, string? value, string placeholder) =>
            html.Append("<label>").Append(label).Append(" <input name=\"").Append(name).Append("\" id=\"search-").Append(name.Replace('_', '-'))
                .Append("\" value=\"").Append(Encode(value ?? "")).Append("\" placeholder=\"").Append(Encode(placeholder)).Append("\"></label>");
        Field("service", "Service", s.Service, "any");
        Field("project", "Project", s.Project, "any");
        Field("host", "Host", s.Host, "any");
        Field("name", "Operation", s.Name, "any, e.g. db");
        Field("min_duration_ms", "Min ms", Ms(s.MinDuration), "0");
        Field("max_duration_ms", "Max ms", Ms(s.MaxDuration), "∞");
        Field("since", "Since", s.Since, "2h or 2026-11-29T10:00:00");
        Field("until", "Until", s.Until, "now");
        html.Append("<label class=\"check\"><input type=\"checkbox\" id=\"search-errors\" name=\"errors\" value=\"true\"")
            .Append(request.ErrorsOnly ? " checked" : "").Append("> Failed only</label>");
        if (request.Limit != options.DefaultPageSize)
            html.Append("<input type=\"hidden\" name=\"limit\" value=\"").Append(request.Limit.ToString(CultureInfo.InvariantCulture)).Append("\">");
        html.Append("<button type=\"submit\" id=\"search-button\">Search</button> <a id=\"clear-search\" href=\"./\">Clear</a></form>\n");
    }

    /// <summary>Start (x) against duration (y) of the page's traces that have both; failed traces are red crosses.</summary>
    private static void Scatter(StringBuilder html, IReadOnlyList<TraceSummary> traces)
    {
        var dots = new List<(TraceSummary Trace, long Ticks, double Ms)>();
        foreach (var t in traces)
            if (t.DurationMs is { } ms && TraceTimestamp.TryParse(t.Timestamp, out var ts)) dots.Add((t, ts.Ticks, ms));
        if (dots.Count == 0) return;
        long minT = dots.Min(d => d.Ticks), maxT = dots.Max(d => d.Ticks);
        var maxMs = Math.Max(1, dots.Max(d => d.Ms)) * 1.1;
        double width = PlotWidth - Left - Right, height = PlotHeight - Top - Bottom;
        double X(long ticks) => Left + (maxT == minT ? width / 2 : (ticks - minT) * width / (maxT - minT));
        double Y(double ms) => Top + height - ms * height / maxMs;
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        html.Append("<figure class=\"scatter\"><svg id=\"scatter\" role=\"img\" aria-label=\"Start time against duration of the listed traces\" ")
            .Append("viewBox=\"0 0 ").Append(PlotWidth).Append(' ').Append(PlotHeight).Append("\">")
            .Append("<line class=\"axis\" x1=\"").Append(Left).Append("\" y1=\"").Append(F(Top + height)).Append("\" x2=\"").Append(F(Left + width))
            .Append("\" y2=\"").Append(F(Top + height)).Append("\"/><line class=\"axis\" x1=\"").Append(Left).Append("\" y1=\"").Append(Top)
            .Append("\" x2=\"").Append(Left).Append("\" y2=\"").Append(F(Top + height)).Append("\"/>")
            .Append("<text class=\"label\" x=\"").Append(Left - 6).Append("\" y=\"").Append(Top + 10).Append("\" text-anchor=\"end\">").Append(Encode(Milliseconds(maxMs / 1.1))).Append("</text>")
            .Append("<text class=\"label\" x=\"").Append(Left - 6).Append("\" y=\"").Append(F(Top + height)).Append("\" text-anchor=\"end\">0</text>")
            .Append("<text class=\"label\" x=\"").Append(Left).Append("\" y=\"").Append(PlotHeight - 12).Append("\">")
            .Append(Encode(new DateTime(minT, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))).Append("</text>")
            .Append("<text class=\"label\" x=\"").Append(F(Left + width)).Append("\" y=\"").Append(PlotHeight - 12).Append("\" text-anchor=\"end\">")
            .Append(Encode(new DateTime(maxT, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))).Append("</text>");
        foreach (var (t, ticks, ms) in dots)
        {
            var x = X(ticks);
            var y = Y(ms);
            var tip = $"{t.BaseId} · {Milliseconds(ms)} · {t.Root ?? "?"}{(t.Error == true ? " · failed" : "")}";
            html.Append("<a class=\"dot-link\" href=\"traces/").Append(Encode(Uri.EscapeDataString(t.BaseId))).Append("\" data-base-id=\"")
                .Append(Encode(t.BaseId)).Append("\"><title>").Append(Encode(tip)).Append("</title>");
            if (t.Error == true)
                html.Append("<path class=\"dot failed\" d=\"M").Append(F(x - 5)).Append(' ').Append(F(y - 5)).Append(" L").Append(F(x + 5)).Append(' ')
                    .Append(F(y + 5)).Append(" M").Append(F(x - 5)).Append(' ').Append(F(y + 5)).Append(" L").Append(F(x + 5)).Append(' ')
                    .Append(F(y - 5)).Append("\"/>");
            else
                html.Append("<circle class=\"dot\" cx=\"").Append(F(x)).Append("\" cy=\"").Append(F(y)).Append("\" r=\"5\"/>");
            html.Append("</a>");
        }
        html.Append("</svg><figcaption>Start time (UTC) × duration of the traces on this page; ✖ failed. Click a dot to open its trace.</figcaption></figure>\n");
    }

    /// <summary>The query string of this search (with <paramref name="cursor"/>, for the pager; for the JSON link, as the API reads it).</summary>
    private static string Query(string? cursor, TraceEndpoints.ListRequest request, WebShellOptions options, bool json = false)
    {
        var query = new List<string>();
        var s = request.Search;
        void Add(string key, string? value)
        {
            if (value is not null) query.Add(key + "=" + Uri.EscapeDataString(value));
        }
        static string? Ms(string? duration) => duration is not null && duration.EndsWith("ms", StringComparison.Ordinal) ? duration[..^2] : duration;
        Add("service", s.Service);
        Add("project", s.Project);
        Add("host", s.Host);
        Add("name", s.Name);
        Add("min_duration_ms", Ms(s.MinDuration));
        Add("max_duration_ms", Ms(s.MaxDuration));
        Add("since", s.Since);
        Add("until", s.Until);
        if (request.ErrorsOnly) query.Add("errors=true");
        if (request.Limit != options.DefaultPageSize || json) query.Add("limit=" + request.Limit.ToString(CultureInfo.InvariantCulture));
        if (cursor is not null) query.Add("cursor=" + Uri.EscapeDataString(cursor));
        return query.Count > 0 ? "?" + string.Join("&", query) : "";
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string PageHead(string title)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        PageAssets.WriteHead(writer, Encode(title) + " · Profiler", [PageAssets.BaseStyle, PageAssets.ListStyle]);
        return writer.ToString();
    }
}
