using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Profiler.Infrastructure.Sql;

/// <summary>One cached model per dialect: column types differ between servers.</summary>
internal sealed class DialectModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        context is TraceDbContext t ? (context.GetType(), t.Dialect.GetType(), designTime) : (context.GetType(), designTime);
}
