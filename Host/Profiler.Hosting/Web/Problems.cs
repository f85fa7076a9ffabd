using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Profiler.Hosting.Web;

/// <summary>One problem with one point of an ingested batch (index null: the body as a whole).</summary>
public sealed record PointProblem(int? Index, string? Field, string Message);

/// <summary>RFC 7807 problem details the shell answers with.</summary>
internal static class Problems
{
    /// <summary>Most per-point problems listed in one answer.</summary>
    public const int MaxListed = 100;

    public static IResult Of(int status, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = status switch
            {
                400 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
                401 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
                404 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
                413 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
                415 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16",
                501 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.2",
                503 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
                _ => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.1",
            },
        };
        if (extensions is not null)
            foreach (var (k, v) in extensions) problem.Extensions[k] = v;
        return Results.Problem(problem);
    }

    public static IResult BadRequest(string detail) => Of(400, "Bad request", detail);

    public static IResult NotFound(string detail) => Of(404, "Not found", detail);

    /// <summary>400 listing each bad point: <c>errors: [{index, field, message}]</c>; nothing was stored.</summary>
    public static IResult RejectedPoints(IReadOnlyList<PointProblem> problems, int pointCount)
    {
        var listed = problems.Take(MaxListed).Select(p => new Dictionary<string, object?>
        {
            ["index"] = p.Index, ["field"] = p.Field, ["message"] = p.Message,
            ["pointer"] = p.Index is null ? null : p.Field is null ? $"/{p.Index}" : $"/{p.Index}/{p.Field}",
        }).ToList();
        var first = problems[0];
        var where = first.Index is null ? "" : $"point {first.Index}: ";
        var more = problems.Count > 1 ? $" (and {problems.Count - 1} more problem(s))" : "";
        var extensions = new Dictionary<string, object?> { ["errors"] = listed, ["error_count"] = problems.Count };
        if (problems.Count > MaxListed) extensions["errors_truncated"] = true;
        return Of(400, "Trace points rejected",
            $"{where}{first.Message}{more}; nothing {(pointCount > 0 ? $"of the {pointCount} point(s) " : "")}was stored", extensions);
    }

    public static IResult StoreUnavailable(HttpContext context, string detail, int retryAfterSeconds)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Of(503, "Trace store unavailable", detail);
    }
}
