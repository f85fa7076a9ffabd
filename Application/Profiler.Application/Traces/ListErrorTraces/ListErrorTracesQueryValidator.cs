using FluentValidation;
using Profiler.Application.Common;

namespace Profiler.Application.Traces.ListErrorTraces;

public sealed class ListErrorTracesQueryValidator : AbstractValidator<ListErrorTracesQuery>
{
    public ListErrorTracesQueryValidator() => this.AddListRules(q => q.Limit, q => q.Cursor, q => q.Fields);
}
