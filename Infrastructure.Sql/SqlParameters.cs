using System.Data;
using System.Data.Common;
using System.Globalization;

namespace Profiler.Infrastructure.Sql;

/// <summary>Named text parameters of the shared SQL (reading, listing, deleting), bound the same on every server.</summary>
internal static class SqlParameters
{
    /// <summary>Most base ids one <c>IN (…)</c> list binds.</summary>
    public const int IdsPerStatement = 500;

    /// <summary>Binds <paramref name="value"/> (NULL for null) as text under <paramref name="name"/>.</summary>
    public static void Add(DbCommand command, string name, string? value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.DbType = DbType.String;
        p.Value = (object?)value ?? DBNull.Value;
        command.Parameters.Add(p);
    }

    /// <summary>Binds <paramref name="ids"/> as <c>@b0</c>, <c>@b1</c> … and returns the list of their placeholders for <c>IN (…)</c>.</summary>
    public static string AddIds(DbCommand command, IReadOnlyList<string> ids)
    {
        var names = new string[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            names[i] = "@b" + i.ToString(CultureInfo.InvariantCulture);
            Add(command, names[i], ids[i]);
        }
        return string.Join(",", names);
    }
}
