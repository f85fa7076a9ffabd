using System.Data;
using System.Data.Common;
using System.Globalization;
using MySqlConnector;

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
        SetType(p, DbType.String);
        p.Value = (object?)value ?? DBNull.Value;
        command.Parameters.Add(p);
    }

    /// <summary>
    /// Binds <paramref name="value"/> as a 64-bit integer under <paramref name="name"/>.
    /// </summary>
    public static void Add(DbCommand command, string name, long value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        SetType(p, DbType.Int64);
        p.Value = value;
        command.Parameters.Add(p);
    }

    /// <summary>
    /// Sets a parameter's type: MySqlConnector's own type directly (setting a <c>DbType</c> there maps it by a linear
    /// search of its type table, per parameter), others' <see cref="DbParameter.DbType"/>.
    /// </summary>
    private static void SetType(DbParameter parameter, DbType type)
    {
        if (parameter is SqliteReadParameter) parameter.DbType = type;
        else SetProviderType(parameter, type);
    }

    // Apart, so that a SQLite read does not load MySqlConnector's assembly to learn its parameter is not MySQL's.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void SetProviderType(DbParameter parameter, DbType type)
    {
        if (parameter is MySqlParameter mySql) mySql.MySqlDbType = type == DbType.Int64 ? MySqlDbType.Int64 : MySqlDbType.VarChar;
        else parameter.DbType = type;
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
