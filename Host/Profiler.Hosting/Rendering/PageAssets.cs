using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Profiler.Hosting.Rendering;

/// <summary>
/// The pages' HTML templates, CSS and script: files under <c>Rendering/Assets/</c>, embedded in this assembly and
/// inlined into every page, so that a page is one self-contained file that fetches nothing. Shared by
/// <c>profiler trace show --html</c> (<see cref="HtmlReportRenderer"/>) and the web shell's pages.
/// Templates hold <c>{{name}}</c> slots, filled with text the caller has already encoded.
/// </summary>
internal static class PageAssets
{
    /// <summary>The page skeleton up to and including <c>&lt;body&gt;</c>: slots <c>title</c> and <c>style</c>.</summary>
    public const string PageTemplate = "page.html";

    /// <summary>The report page's body up to its data element: slots <c>list_link</c> and <c>base_id</c>.</summary>
    public const string ReportTemplate = "report.html";

    /// <summary>The rules every page shares.</summary>
    public const string BaseStyle = "base.css";

    /// <summary>The report page's rules.</summary>
    public const string ReportStyle = "report.css";

    /// <summary>The compare page's rules.</summary>
    public const string CompareStyle = "compare.css";

    /// <summary>The trace list page's rules.</summary>
    public const string ListStyle = "list.css";

    /// <summary>The report page's script, its only executable one.</summary>
    public const string ReportScript = "report.js";

    /// <summary>The web shell's trace actions bar (Pin, Unpin, Delete): slots <c>api</c>, <c>list</c> and <c>key_required</c>.</summary>
    public const string ActionsTemplate = "actions.html";

    /// <summary>The web shell's trace actions script, the report page's second executable script there.</summary>
    public const string ActionsScript = "actions.js";

    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    /// <summary>The text of the asset <paramref name="name"/> (a file name under <c>Rendering/Assets/</c>).</summary>
    public static string Read(string name) => Cache.GetOrAdd(name, static n =>
    {
        var resource = "Profiler.Hosting.Rendering.Assets." + n;
        using var stream = typeof(PageAssets).Assembly.GetManifestResourceStream(resource)
                           ?? throw new InvalidOperationException($"embedded asset '{resource}' is missing from {typeof(PageAssets).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    });

    /// <summary>
    /// The CSP source (<c>'sha256-…'</c>) of <see cref="ReportScript"/> as inlined, for a
    /// <c>Content-Security-Policy: script-src</c> that allows it and nothing else.
    /// </summary>
    public static string ReportScriptHashSource { get; } =
        "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Read(ReportScript)))) + "'";

    /// <summary>The CSP source (<c>'sha256-…'</c>) of <see cref="ActionsScript"/> as inlined.</summary>
    public static string ActionsScriptHashSource { get; } =
        "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Read(ActionsScript)))) + "'";

    /// <summary>Writes the page skeleton: <paramref name="htmlTitle"/> (already HTML-encoded) and the styles, in order.</summary>
    public static void WriteHead(TextWriter output, string htmlTitle, params string[] styles)
    {
        var style = new StringBuilder();
        foreach (var s in styles) style.Append(Read(s));
        Fill(output, Read(PageTemplate), new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["title"] = htmlTitle, ["style"] = style.ToString(),
        });
    }

    /// <summary>Writes <paramref name="template"/> with each <c>{{name}}</c> slot replaced by its (already encoded) value.</summary>
    public static void Fill(TextWriter output, string template, IReadOnlyDictionary<string, string> values)
    {
        var at = 0;
        while (true)
        {
            var open = template.IndexOf("{{", at, StringComparison.Ordinal);
            if (open < 0) break;
            var close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0) break;
            var name = template[(open + 2)..close];
            output.Write(template.AsSpan(at, open - at));
            output.Write(values.TryGetValue(name, out var value)
                ? value
                : throw new InvalidOperationException($"template slot '{{{{{name}}}}}' has no value; given: {string.Join(", ", values.Keys)}"));
            at = close + 2;
        }
        output.Write(template.AsSpan(at));
    }
}
