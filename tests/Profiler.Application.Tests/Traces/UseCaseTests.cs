using System.Text.Json.Nodes;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application.Common;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Application.Traces.ListTraces;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Application.Tests.Traces;

public sealed class UseCaseTests
{
    private readonly InMemoryTraceStore _store = new();
    private readonly IMediator _mediator;

    public UseCaseTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ITraceStore>(_store);
        services.AddApplicationServices();
        _mediator = services.BuildServiceProvider().GetRequiredService<IMediator>();
    }

    private static TracePoint Point(string name = "db-start", string baseId = "8b1c4b4e-1f7a-4c55-9f43-0d9b8c1c2d3e",
        string traceId = "t-1", string parentId = "8b1c4b4e-1f7a-4c55-9f43-0d9b8c1c2d3e", string timestamp = "2026-11-25T01:40:47.957338",
        JsonObject? info = null) => new()
    {
        Name = name, BaseId = baseId, TraceId = traceId, ParentId = parentId, Timestamp = timestamp,
        Info = info ?? new JsonObject { ["host"] = "h" }, Project = "p", Service = "s",
    };

    [Fact]
    public async Task Recording_a_valid_batch_stores_it_as_one_write()
    {
        var stored = await _mediator.Send(new RecordTracePointsCommand([Point(), Point("db-stop")]));

        Assert.Equal(2, stored);
        Assert.Equal(2, Assert.Single(_store.Batches).Count);
    }

    public static TheoryData<string, string, string> BadPoints() => new()
    {
        { "name", "db", "-start or <operation>-stop" },
        { "name", "-start", "-start or <operation>-stop" },
        { "base_id", "abc*", "not a valid id" },
        { "trace_id", "a?b", "not a valid id" },
        { "parent_id", "[x]", "not a valid id" },
        { "base_id", "has space", "not a valid id" },
        { "base_id", "tab\there", "not a valid id" },
        { "base_id", new string('a', 256), "not a valid id" },
        { "trace_id", "../../etc/passwd", "not a valid id" },
        { "timestamp", "2026-11-25 01:40:47", "YYYY-MM-DDTHH:MM:SS" },
        { "timestamp", "yesterday", "YYYY-MM-DDTHH:MM:SS" },
    };

    [Theory]
    [MemberData(nameof(BadPoints))]
    public async Task A_batch_with_one_bad_point_is_rejected_whole_naming_the_point_and_field(string field, string value, string message)
    {
        var bad = field switch
        {
            "name" => Point(name: value),
            "base_id" => Point(baseId: value),
            "trace_id" => Point(traceId: value),
            "parent_id" => Point(parentId: value),
            _ => Point(timestamp: value),
        };

        var e = await Assert.ThrowsAsync<ValidationException>(() => _mediator.Send(new RecordTracePointsCommand([Point(), bad])));

        var error = Assert.Single(e.Errors);
        Assert.Equal($"Points[1].{field}", error.Property);
        Assert.Contains(message, error.Message);
        Assert.Empty(_store.Batches);
    }

    [Fact]
    public async Task UUIDs_and_OSProfiler_style_ids_are_accepted()
    {
        await _mediator.Send(new RecordTracePointsCommand([Point(baseId: Guid.NewGuid().ToString(), traceId: "req-1a2b.3:x_y")]));
        Assert.Single(_store.Batches);
    }

    [Fact]
    public async Task Empty_and_oversized_batches_are_rejected()
    {
        await Assert.ThrowsAsync<ValidationException>(() => _mediator.Send(new RecordTracePointsCommand([])));
        var tooMany = Enumerable.Range(0, RecordTracePointsCommand.MaxBatchSize + 1).Select(_ => Point()).ToList();
        var e = await Assert.ThrowsAsync<ValidationException>(() => _mediator.Send(new RecordTracePointsCommand(tooMany)));
        Assert.Contains("split it", e.Errors[0].Message);
    }

    [Fact]
    public async Task A_store_failure_reaches_the_caller_as_the_stores_own_error()
    {
        _store.FailWith = new TraceStoreException("Could not write to redis 127.0.0.1:1: refused");

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => _mediator.Send(new RecordTracePointsCommand([Point()])));
        Assert.Contains("127.0.0.1:1", e.Message);
    }

    [Fact]
    public async Task A_report_is_built_from_the_stored_points_of_that_trace_only()
    {
        var fixture = FixtureTrace.Load("simple", "redis");
        await _mediator.Send(new RecordTracePointsCommand(fixture.Points));
        await _mediator.Send(new RecordTracePointsCommand([Point()]));

        var report = await _mediator.Send(new GetTraceReportQuery(fixture.BaseId));

        Assert.NotNull(report);
        ReportAssert.Equivalent(FixtureTrace.Report("simple", "redis"), JsonNode.Parse(Domain.Reports.ReportJson.ToJson(report))!);
    }

    [Fact]
    public async Task An_unknown_trace_has_no_report()
    {
        Assert.Null(await _mediator.Send(new GetTraceReportQuery(Guid.NewGuid().ToString())));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("abc[0-9]")]
    [InlineData("")]
    public async Task A_report_for_an_unsafe_id_is_refused_before_the_store(string id)
    {
        var e = await Assert.ThrowsAsync<ValidationException>(() => _mediator.Send(new GetTraceReportQuery(id)));
        Assert.Equal("base_id", e.Errors[0].Property);
    }

    [Fact]
    public async Task Listing_passes_limit_cursor_and_fields_to_the_store()
    {
        await _mediator.Send(new ListTracesQuery(5, "c", ["project"]));

        Assert.Equal(5, _store.LastListQuery!.Limit);
        Assert.Equal("c", _store.LastListQuery.Cursor);
        Assert.Equal(["project"], _store.LastListQuery.Fields);
    }

    [Theory]
    [InlineData(0, null, "limit")]
    [InlineData(2_000_000, null, "limit")]
    [InlineData(10, "bad\ncursor", "cursor")]
    public async Task Listing_rejects_limits_and_cursors_out_of_range(int limit, string? cursor, string property)
    {
        var e = await Assert.ThrowsAsync<ValidationException>(() => _mediator.Send(new ListTracesQuery(limit, cursor)));
        Assert.Equal(property, e.Errors[0].Property);
        e = await Assert.ThrowsAsync<ValidationException>(() => _mediator.Send(new ListTracesQuery(limit, cursor, ErrorsOnly: true)));
        Assert.Equal(property, e.Errors[0].Property);
    }

    [Fact]
    public async Task Listing_rejects_unknown_fields()
    {
        var e = await Assert.ThrowsAsync<ValidationException>(() => _mediator.Send(new ListTracesQuery(10, null, ["password"])));
        Assert.Contains("field 'password' is unknown", e.Errors[0].Message);
    }

    [Fact]
    public async Task Each_unknown_field_is_named_by_its_index_and_every_rule_reports()
    {
        var e = await Assert.ThrowsAsync<ValidationException>(() => _mediator.Send(new ListTracesQuery(0, null, ["project", "password", "x"])));

        Assert.Equal(["limit", "fields[1]", "fields[2]"], e.Errors.Select(x => x.Property));
        Assert.Equal($"Rejected: limit: limit 0 is out of range: use 1 to 1000000; fields[1]: field 'password' is unknown: use {string.Join(", ", TraceFields.Allowed)}; " +
                     $"fields[2]: field 'x' is unknown: use {string.Join(", ", TraceFields.Allowed)}", e.Message);
    }

    [Fact]
    public async Task Error_traces_are_listed_through_the_store()
    {
        await _mediator.Send(new RecordTracePointsCommand([Point(), Point("db-stop", info: new JsonObject { ["host"] = "h", ["etype"] = "KeyError" })]));

        var page = await _mediator.Send(new ListTracesQuery(10, ErrorsOnly: true));

        Assert.Equal(["8b1c4b4e-1f7a-4c55-9f43-0d9b8c1c2d3e"], page.Traces.Select(t => t.BaseId));
    }
}
