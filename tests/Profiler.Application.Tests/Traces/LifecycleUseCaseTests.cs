using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application.Common;
using Profiler.Application.Stores.GetStoreStatistics;
using Profiler.Application.Traces.DeleteTraces;
using Profiler.Application.Traces.PinTrace;
using Profiler.Application.Traces.PruneTraces;
using Profiler.Storage;

namespace Profiler.Application.Tests.Traces;

/// <summary>Delete, pin, prune and statistics use cases: validation, and stores without the capability.</summary>
public sealed class LifecycleUseCaseTests
{
    private static IMediator Mediator(ITraceStore store)
    {
        var services = new ServiceCollection();
        services.AddSingleton(store);
        services.AddApplicationServices();
        return services.BuildServiceProvider().GetRequiredService<IMediator>();
    }

    [Theory]
    [InlineData("pin", nameof(ITraceStorePinning))]
    [InlineData("unpin", nameof(ITraceStorePinning))]
    [InlineData("prune", nameof(ITraceStorePruning))]
    [InlineData("stats", nameof(ITraceStoreStatistics))]
    public async Task A_store_without_the_capability_is_a_CapabilityNotSupportedException_naming_the_contract(string useCase, string contract)
    {
        var mediator = Mediator(new InMemoryTraceStore());
        Task send = useCase switch
        {
            "pin" => mediator.Send(new PinTraceCommand("t1", true)),
            "unpin" => mediator.Send(new PinTraceCommand("t1", false)),
            "prune" => mediator.Send(new PruneTracesCommand(TimeSpan.FromDays(7))),
            _ => mediator.Send(new GetStoreStatisticsQuery()),
        };

        var e = await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => send);

        Assert.Equal(contract, e.Contract);
        Assert.StartsWith("the redis driver does not support ", e.Describe("redis"));
    }

    [Fact]
    public async Task Deleting_on_a_store_without_the_capability_answers_unsupported_and_deletes_nothing()
    {
        var result = await Mediator(new InMemoryTraceStore()).Send(new DeleteTracesCommand(["t1"], ReportMissing: true));

        Assert.False(result.Supported);
        Assert.Equal(0, result.DeletedTraces);
    }

    [Fact]
    public async Task Pinning_an_unsafe_id_is_rejected_naming_it()
    {
        var e = await Assert.ThrowsAsync<ValidationException>(() => Mediator(new InMemoryTraceStore()).Send(new PinTraceCommand("a b*", true)));

        Assert.Contains("'a b*'", e.Message);
        Assert.Equal("base_id", Assert.Single(e.Errors).Property);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-60)]
    [InlineData(4000 * 86400.0)]
    public async Task Pruning_with_an_age_out_of_range_is_rejected_saying_what_is_accepted(double seconds)
    {
        var e = await Assert.ThrowsAsync<ValidationException>(() =>
            Mediator(new InMemoryTraceStore()).Send(new PruneTracesCommand(TimeSpan.FromSeconds(seconds))));

        Assert.Equal("older_than", Assert.Single(e.Errors).Property);
        Assert.Contains("90s, 15m, 12h, 7d", e.Message);
    }

    [Fact]
    public async Task Naming_more_ids_than_the_reporting_limit_is_rejected()
    {
        var ids = Enumerable.Range(0, DeleteTracesCommand.MaxReportedTraces + 1).Select(i => $"t{i}").ToList();

        var e = await Assert.ThrowsAsync<ValidationException>(() => Mediator(new InMemoryTraceStore()).Send(new DeleteTracesCommand(ids, ReportMissing: true)));

        Assert.Contains($"over the limit of {DeleteTracesCommand.MaxReportedTraces}", e.Message);
    }
}
