using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application.Common;
using Profiler.Application.Traces.AnalyzeTrace;
using Profiler.Application.Traces.DiffTraces;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Application.Tests.Traces;

public sealed class AnalysisUseCaseTests
{
    private readonly IMediator _mediator;

    public AnalysisUseCaseTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ITraceStore>(new InMemoryTraceStore());
        services.AddApplicationServices();
        _mediator = services.BuildServiceProvider().GetRequiredService<IMediator>();
    }

    private Task<int> RecordAsync(ConstructedTrace trace) => _mediator.Send(new RecordTracePointsCommand(trace.Points()));

    [Fact]
    public async Task Analyzing_a_stored_trace_walks_its_critical_path_and_a_missing_one_is_null()
    {
        await RecordAsync(new ConstructedTrace("t1").Op("w", null, "wsgi", 0, 10).Op("a", "w", "db", 0, 4).Op("b", "w", "db", 2, 9));

        var analysis = await _mediator.Send(new AnalyzeTraceQuery("t1"));

        Assert.Equal(["w", "b"], analysis!.CriticalPath.Select(o => o.TraceId));
        Assert.Equal(1, analysis.Operations[0].SelfMs);
        Assert.Null(await _mediator.Send(new AnalyzeTraceQuery("nowhere")));
    }

    [Fact]
    public async Task Diffing_names_every_missing_trace_and_compares_found_ones()
    {
        await RecordAsync(new ConstructedTrace("t1").Op("w", null, "wsgi", 0, 10));
        await RecordAsync(new ConstructedTrace("t2").Op("w", null, "wsgi", 0, 20).Op("c", "w", "cache", 1, 2));

        var missing = await _mediator.Send(new DiffTracesQuery("x1", "x2"));
        var found = await _mediator.Send(new DiffTracesQuery("t1", "t2"));

        Assert.Null(missing.Diff);
        Assert.Equal(["x1", "x2"], missing.Missing);
        Assert.Equal(["cache"], found.Diff!.Added);
        Assert.Equal(20, found.Diff.ByName.Single(p => p.Key == "wsgi").Value.TotalMsB);
    }

    [Fact]
    public async Task A_bad_id_is_a_validation_error_naming_it()
    {
        var analyze = await Assert.ThrowsAsync<ValidationException>(() => _mediator.Send(new AnalyzeTraceQuery("a b")));
        var diff = await Assert.ThrowsAsync<ValidationException>(() => _mediator.Send(new DiffTracesQuery("ok", "b*d")));

        Assert.Contains("'a b'", analyze.Message);
        Assert.Contains("'b*d'", diff.Message);
    }
}
