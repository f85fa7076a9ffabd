using FluentValidation;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Profiler.Application.Common;

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
}
