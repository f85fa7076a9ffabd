using FV = FluentValidation;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application.Common;
using Profiler.Application.Traces.CountTraces;
using Profiler.Application.Traces.ListTraces;
using Profiler.Storage;

namespace Profiler.Application.Tests.Traces;

/// <summary><see cref="DependencyInjection.CreateMediator"/> (the CLI's) runs the same use cases as the container's registrations.</summary>
public sealed class ContainerFreeMediatorTests
{
    private readonly InMemoryTraceStore _store = new();

    private static IEnumerable<(Type Request, Type Contract, Type Implementation)> Registered()
    {
        var services = new ServiceCollection().AddApplicationServices();
        foreach (var d in services.Where(d => d.ServiceType.IsGenericType && d.ImplementationType is not null && !d.ServiceType.IsGenericTypeDefinition))
            yield return (d.ServiceType.GetGenericArguments()[0], d.ServiceType.GetGenericTypeDefinition(), d.ImplementationType!);
    }

    [Fact]
    public void Every_registered_handler_and_validator_is_the_one_found_beside_its_request()
    {
        var registered = Registered().ToList();
        Assert.Contains(registered, r => r.Contract == typeof(IRequestHandler<,>) && r.Request == typeof(ListTracesQuery));
        Assert.Contains(registered, r => r.Contract == typeof(FV.IValidator<>) && r.Request == typeof(ListTracesQuery));
        foreach (var (request, contract, implementation) in registered)
        {
            var found = contract == typeof(FV.IValidator<>)
                ? DependencyInjection.ValidatorOf(request)
                : DependencyInjection.HandlerOf(request, implementation.GetInterfaces().Single(i => i.IsGenericType && i.GetGenericTypeDefinition() == contract));
            Assert.True(found == implementation, $"{request.Name}: registered {implementation.Name}, found {found?.Name ?? "nothing"}");
        }
    }

    [Fact]
    public void Every_request_type_has_a_handler_found_beside_it()
    {
        var requests = typeof(DependencyInjection).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequest<>)));
        foreach (var request in requests)
        {
            var response = request.GetInterfaces().Single(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequest<>)).GetGenericArguments()[0];
            Assert.True(DependencyInjection.HandlerOf(request, typeof(IRequestHandler<,>).MakeGenericType(request, response)) is not null, request.Name);
        }
    }

    [Fact]
    public async Task Requests_reach_the_store_through_the_handler()
    {
        var mediator = DependencyInjection.CreateMediator(() => _store);

        await mediator.Send(new ListTracesQuery(5, "c", ["project"]));

        Assert.Equal(5, _store.LastListQuery!.Limit);
        Assert.Equal("c", _store.LastListQuery.Cursor);
    }

    [Fact]
    public async Task Requests_are_validated_with_the_same_errors_as_through_the_container()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ITraceStore>(_store);
        var container = services.AddApplicationServices().BuildServiceProvider().GetRequiredService<IMediator>();
        var direct = DependencyInjection.CreateMediator(() => _store);
        var query = new ListTracesQuery(0, "bad\ncursor", ["nope"]) { Search = new TraceSearchTerms(MinDuration: "5x") };

        var expected = await Assert.ThrowsAsync<ValidationException>(() => container.Send(query));
        var actual = await Assert.ThrowsAsync<ValidationException>(() => direct.Send(query));

        Assert.Equal(expected.Message, actual.Message);
        Assert.Equal(expected.Errors, actual.Errors);
        actual = await Assert.ThrowsAsync<ValidationException>(() => direct.Send(new CountTracesQuery(new TraceSearchTerms(Since: "later"))));
        Assert.Equal("since", actual.Errors.Single().Property);
        Assert.Null(_store.LastListQuery);
    }

    [Fact]
    public async Task A_request_without_a_handler_fails_as_with_a_container()
    {
        var mediator = DependencyInjection.CreateMediator(() => _store);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => mediator.Send(new Unhandled()));

        Assert.StartsWith("Handler was not found for request of type MediatR.IRequestHandler`2[", e.Message);
    }

    private sealed record Unhandled : IRequest<int>;
}
