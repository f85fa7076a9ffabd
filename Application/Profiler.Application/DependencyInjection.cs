using System.Reflection;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Profiler.Application.Common;
using Profiler.Storage;

namespace Profiler.Application;

public static class DependencyInjection
{
    /// <summary>
    /// Registers MediatR (5.x, wired by hand), every handler and validator of this assembly, and the validation
    /// behaviour. The caller registers an <see cref="Profiler.Storage.ITraceStore"/>.
    /// </summary>
    public static IServiceCollection AddApplicationServices(this IServiceCollection services)
    {
        services.TryAddSingleton<ServiceFactory>(sp => sp.GetService!);
        services.TryAddSingleton<IMediator, Mediator>();
        services.TryAddEnumerable(ServiceDescriptor.Transient(typeof(IPipelineBehavior<,>), typeof(ValidationBehaviour<,>)));

        foreach (var type in typeof(DependencyInjection).Assembly.GetTypes())
        {
            if (type.IsAbstract || type.IsInterface || type.IsGenericTypeDefinition) continue;
            foreach (var contract in type.GetInterfaces().Where(i => i.IsGenericType))
            {
                var definition = contract.GetGenericTypeDefinition();
                if (definition == typeof(IRequestHandler<,>))
                    services.TryAddTransient(contract, type);
                else if (definition == typeof(IValidator<>))
                    services.TryAddEnumerable(ServiceDescriptor.Singleton(contract, type));
            }
        }
        return services;
    }

    /// <summary>
    /// A mediator over <paramref name="store"/> without a dependency-injection container, for a short-lived process
    /// (the CLI): the same use cases as <see cref="AddApplicationServices"/> registers — each request's handler, its
    /// validator and the one <see cref="ValidationBehaviour{TRequest,TResponse}"/> — found when the request is first
    /// sent, by name beside the request (<c>ListTracesQuery</c>: <c>ListTracesQueryHandler</c>,
    /// <c>ListTracesQueryValidator</c>). Building a container, scanning this assembly's types and the container's own
    /// generic dictionaries (JIT-compiled: they are not precompiled across assemblies) cost a short command about
    /// 10 ms of its start-up. A request without a handler fails as MediatR reports it with a container.
    /// </summary>
    /// <param name="store">The store handlers work on; called when a handler is first needed.</param>
    public static IMediator CreateMediator(Func<ITraceStore> store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new Mediator(new UseCases(store).Resolve);
    }

    /// <summary>The handler class of a request type by name (<c>&lt;Request&gt;Handler</c>); null when there is none.</summary>
    internal static Type? HandlerOf(Type requestType, Type contract) => Beside(requestType, 1, "Handler", contract);

    /// <summary>The validator class of a request type by name (<c>&lt;Request&gt;Validator</c>); null when there is none.</summary>
    internal static Type? ValidatorOf(Type requestType) => Beside(requestType, 2, "Validator", typeof(IValidator<>).MakeGenericType(requestType));

    /// <summary>
    /// Each use case's handler (<paramref name="column"/> 1) or validator (2), by request type: what the lookup by name
    /// finds, listed so that finding them costs no type-name parsing (the runtime's parser compiles vectorised code on first use, which ReadyToRun does
    /// not precompile: ~2.5 ms of a short command's start-up). A switch on the name whose arm checks the type: only the
    /// asked use case's types are loaded (a table of all of them loaded every one on a command's first request). A
    /// request missing here is still found by name.
    /// </summary>
    private static Type? UseCase(Type requestType, int column) => requestType.Name switch
    {
        nameof(Stores.CheckStore.CheckStoreQuery) when requestType == typeof(Stores.CheckStore.CheckStoreQuery) => Column<Stores.CheckStore.CheckStoreQueryHandler, Stores.CheckStore.CheckStoreQueryValidator>(column),
        nameof(Stores.GetStoreStatistics.GetStoreStatisticsQuery) when requestType == typeof(Stores.GetStoreStatistics.GetStoreStatisticsQuery) => Column<Stores.GetStoreStatistics.GetStoreStatisticsQueryHandler, Stores.GetStoreStatistics.GetStoreStatisticsQueryValidator>(column),
        nameof(Traces.AnalyzeTrace.AnalyzeTraceQuery) when requestType == typeof(Traces.AnalyzeTrace.AnalyzeTraceQuery) => Column<Traces.AnalyzeTrace.AnalyzeTraceQueryHandler, Traces.AnalyzeTrace.AnalyzeTraceQueryValidator>(column),
        nameof(Traces.CountTraces.CountTracesQuery) when requestType == typeof(Traces.CountTraces.CountTracesQuery) => Column<Traces.CountTraces.CountTracesQueryHandler, Traces.CountTraces.CountTracesQueryValidator>(column),
        nameof(Traces.DeleteTraces.DeleteTracesCommand) when requestType == typeof(Traces.DeleteTraces.DeleteTracesCommand) => Column<Traces.DeleteTraces.DeleteTracesCommandHandler, Traces.DeleteTraces.DeleteTracesCommandValidator>(column),
        nameof(Traces.DiffTraces.DiffTracesQuery) when requestType == typeof(Traces.DiffTraces.DiffTracesQuery) => Column<Traces.DiffTraces.DiffTracesQueryHandler, Traces.DiffTraces.DiffTracesQueryValidator>(column),
        nameof(Traces.GetTraceOverviews.GetTraceOverviewsQuery) when requestType == typeof(Traces.GetTraceOverviews.GetTraceOverviewsQuery) => Column<Traces.GetTraceOverviews.GetTraceOverviewsQueryHandler, Traces.GetTraceOverviews.GetTraceOverviewsQueryValidator>(column),
        nameof(Traces.GetTraceReport.GetTraceReportQuery) when requestType == typeof(Traces.GetTraceReport.GetTraceReportQuery) => Column<Traces.GetTraceReport.GetTraceReportQueryHandler, Traces.GetTraceReport.GetTraceReportQueryValidator>(column),
        nameof(Traces.ListTraces.ListTracesQuery) when requestType == typeof(Traces.ListTraces.ListTracesQuery) => Column<Traces.ListTraces.ListTracesQueryHandler, Traces.ListTraces.ListTracesQueryValidator>(column),
        nameof(Traces.PinTrace.PinTraceCommand) when requestType == typeof(Traces.PinTrace.PinTraceCommand) => Column<Traces.PinTrace.PinTraceCommandHandler, Traces.PinTrace.PinTraceCommandValidator>(column),
        nameof(Traces.PruneTraces.PruneTracesCommand) when requestType == typeof(Traces.PruneTraces.PruneTracesCommand) => Column<Traces.PruneTraces.PruneTracesCommandHandler, Traces.PruneTraces.PruneTracesCommandValidator>(column),
        nameof(Traces.RecordTracePoints.RecordTracePointsCommand) when requestType == typeof(Traces.RecordTracePoints.RecordTracePointsCommand) => Column<Traces.RecordTracePoints.RecordTracePointsCommandHandler, Traces.RecordTracePoints.RecordTracePointsCommandValidator>(column),
        nameof(Traces.ReindexTraces.ReindexTracesCommand) when requestType == typeof(Traces.ReindexTraces.ReindexTracesCommand) => Column<Traces.ReindexTraces.ReindexTracesCommandHandler, Traces.ReindexTraces.ReindexTracesCommandValidator>(column),
        _ => null,
    };

    private static Type Column<THandler, TValidator>(int column) => column == 1 ? typeof(THandler) : typeof(TValidator);

    /// <summary>
    /// The class named <paramref name="requestType"/>'s name + <paramref name="suffix"/> in this assembly implementing
    /// <paramref name="contract"/>: <see cref="UseCase"/>'s (<paramref name="column"/> 1: the handler, 2: the
    /// validator), else found by name.
    /// </summary>
    private static Type? Beside(Type requestType, int column, string suffix, Type contract)
    {
        if (requestType.Assembly != typeof(DependencyInjection).Assembly || requestType.FullName is not { } name) return null;
        var type = UseCase(requestType, column) ?? requestType.Assembly.GetType(name + suffix);
        return type is { IsAbstract: false, IsGenericTypeDefinition: false } && type.FullName == name + suffix && contract.IsAssignableFrom(type)
            ? type
            : null;
    }

    /// <summary>MediatR's <see cref="ServiceFactory"/> for <see cref="CreateMediator"/>: validators are made once (singletons, as registered), handlers per request.</summary>
    private sealed class UseCases(Func<ITraceStore> store)
    {
        private readonly Dictionary<Type, Array> _validators = [];

        public object? Resolve(Type type)
        {
            if (!type.IsGenericType) return null;
            var definition = type.GetGenericTypeDefinition();
            if (definition == typeof(IRequestHandler<,>))
                return HandlerOf(type.GetGenericArguments()[0], type) is { } handler ? Create(handler, store()) : null;
            if (definition != typeof(IEnumerable<>)) return null;
            // MediatR asks for every IPipelineBehavior<TRequest, TResponse>: the validation behaviour, as registered.
            var element = type.GetGenericArguments()[0];
            if (!element.IsGenericType || element.GetGenericTypeDefinition() != typeof(IPipelineBehavior<,>)) return Array.CreateInstance(element, 0);
            var arguments = element.GetGenericArguments();
            var behaviours = Array.CreateInstance(element, 1);
            behaviours.SetValue(Create(typeof(ValidationBehaviour<,>).MakeGenericType(arguments), Validators(arguments[0])), 0);
            return behaviours;
        }

        private Array Validators(Type requestType)
        {
            lock (_validators)
            {
                if (_validators.TryGetValue(requestType, out var made)) return made;
                var validator = ValidatorOf(requestType);
                made = Array.CreateInstance(typeof(IValidator<>).MakeGenericType(requestType), validator is null ? 0 : 1);
                if (validator is not null) made.SetValue(Create(validator), 0);
                return _validators[requestType] = made;
            }
        }

        // A constructor's own exception, not wrapped in a TargetInvocationException (as a container reports it). The
        // type's one public constructor is invoked as it is: Activator's binder, which matches the arguments against
        // every constructor, cost a command's first request more than making the use case.
        private static object Create(Type type, params object[] arguments) =>
            type.GetConstructors() is [var constructor]
                ? constructor.Invoke(BindingFlags.DoNotWrapExceptions, null, arguments, null)
                : Activator.CreateInstance(type, BindingFlags.DoNotWrapExceptions, null, arguments, null)!;
    }
}
