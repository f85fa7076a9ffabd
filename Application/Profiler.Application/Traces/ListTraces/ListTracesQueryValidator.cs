using Profiler.Application.Common;

namespace Profiler.Application.Traces.ListTraces;

public sealed class ListTracesQueryValidator : DelegateValidator<ListTracesQuery>
{
    public ListTracesQueryValidator()
    {
        this.AddListRules(q => q.Limit, q => q.Cursor, q => q.Fields);
        this.AddSearchRules(q => q.Search);
    }
}
