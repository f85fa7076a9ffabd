using FluentValidation;

namespace Profiler.Application.Stores.GetStoreStatistics;

/// <summary>The query has no parameters; it only has to be there.</summary>
public sealed class GetStoreStatisticsQueryValidator : AbstractValidator<GetStoreStatisticsQuery>
{
    public GetStoreStatisticsQueryValidator()
    {
        RuleFor(q => q).NotNull().OverridePropertyName("query");
    }
}
