using FluentValidation;
using Profiler.Application.Traces.ListTraces;

namespace Profiler.Application.Traces.CountTraces;

public sealed class CountTracesQueryValidator : AbstractValidator<CountTracesQuery>
{
    public CountTracesQueryValidator() => this.AddSearchRules(q => q.Search);
}
