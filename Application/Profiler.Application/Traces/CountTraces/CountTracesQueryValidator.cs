using Profiler.Application.Common;
using Profiler.Application.Traces.ListTraces;

namespace Profiler.Application.Traces.CountTraces;

public sealed class CountTracesQueryValidator : DelegateValidator<CountTracesQuery>
{
    public CountTracesQueryValidator() => this.AddSearchRules(q => q.Search);
}
