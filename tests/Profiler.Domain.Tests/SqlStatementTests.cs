using Profiler.Domain.Reports;

namespace Profiler.Domain.Tests;

public sealed class SqlStatementTests
{
    [Theory]
    [InlineData("SELECT * FROM t WHERE id = 42", "SELECT * FROM t WHERE id = ?")]
    [InlineData("SELECT * FROM t WHERE name = 'it''s' AND x = N'y'", "SELECT * FROM t WHERE name = ? AND x = ?")]
    [InlineData("SELECT * FROM t WHERE a = -1.5e3 AND b > 0x1F", "SELECT * FROM t WHERE a = ? AND b > ?")]
    [InlineData("SELECT a - 1 FROM t1 JOIN t2 ON t1.id = t2.id", "SELECT a - ? FROM t1 JOIN t2 ON t1.id = t2.id")]
    [InlineData("SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (?)")]
    [InlineData("select * from t where id not in ('a','b')", "select * from t where id not in (?)")]
    [InlineData("SELECT * FROM t WHERE id IN (@p0, @p1, @p2)", "SELECT * FROM t WHERE id IN (?)")]
    [InlineData("SELECT * FROM instances WHERE id=%s", "SELECT * FROM instances WHERE id=%s")]
    [InlineData("SELECT \"col 1\", `c2` FROM t WHERE x = $1", "SELECT \"col 1\", `c2` FROM t WHERE x = $1")]
    [InlineData("  SELECT\n  1\t FROM   dual ", "SELECT ? FROM dual")]
    [InlineData("SELECT 'a\\'b' FROM t", "SELECT ? FROM t")]
    public void Literals_become_question_marks_and_identifiers_and_parameters_stay(string statement, string normalised) =>
        Assert.Equal(normalised, SqlStatement.Normalize(statement));

    [Fact]
    public void Statements_differing_only_in_literals_normalise_alike()
    {
        Assert.Equal(SqlStatement.Normalize("UPDATE t SET a = 'x' WHERE id IN (1)"), SqlStatement.Normalize("UPDATE  t SET a = 'yy' WHERE id IN (7, 8, 9)"));
        Assert.NotEqual(SqlStatement.Normalize("SELECT a FROM t WHERE id = 1"), SqlStatement.Normalize("SELECT b FROM t WHERE id = 1"));
    }
}
