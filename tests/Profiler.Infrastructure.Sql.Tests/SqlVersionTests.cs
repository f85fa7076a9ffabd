namespace Profiler.Infrastructure.Sql.Tests;

public sealed class SqlVersionTests
{
    [Theory]
    [InlineData("5.7.8")]
    [InlineData("5.7.44-log")]
    [InlineData("8.0.36")]
    [InlineData("8.4.0-0ubuntu0.24.04.1")]
    [InlineData("10.2.0-MariaDB")]
    [InlineData("10.11.6-MariaDB-0+deb12u1")]
    [InlineData("5.5.5-10.11.6-MariaDB-0+deb12u1")]
    [InlineData("11.4.2-MariaDB-ubu2404")]
    public void MySQL_and_MariaDB_servers_with_a_JSON_type_are_accepted(string version) =>
        Assert.Null(MySqlDialect.VersionProblem(version));

    [Theory]
    [InlineData("5.7.7", "MySQL 5.7.7", "MySQL 5.7.8")]
    [InlineData("5.6.51-log", "MySQL 5.6.51", "MySQL 5.7.8")]
    [InlineData("10.1.48-MariaDB", "MariaDB 10.1.48", "MariaDB 10.2")]
    [InlineData("5.5.5-10.1.48-MariaDB-0+deb9u2", "MariaDB 10.1.48", "MariaDB 10.2")]
    [InlineData("5.5.68-MariaDB", "MariaDB 5.5.68", "MariaDB 10.2")]
    public void Older_MySQL_and_MariaDB_servers_are_refused_naming_the_version_found_and_the_minimum(string version, string found, string minimum)
    {
        var problem = MySqlDialect.VersionProblem(version);

        Assert.NotNull(problem);
        Assert.Contains(found, problem);
        Assert.Contains(minimum + " or later", problem);
        Assert.Contains(version, problem);
    }

    [Fact]
    public void A_version_text_that_is_no_version_is_refused_naming_it() =>
        Assert.Contains("'banana'", MySqlDialect.VersionProblem("banana"));

    [Theory]
    [InlineData("5.5.5-10.11.6-MariaDB-0+deb12u1", true, "10.11.6")]
    [InlineData("10.11.6-MariaDB-0+deb12u1", true, "10.11.6")]
    [InlineData("8.0.36", false, "8.0.36")]
    [InlineData("8.0", false, "8.0.0")]
    public void Version_texts_parse_into_flavour_and_version(string text, bool mariaDb, string version) =>
        Assert.Equal((mariaDb, Version.Parse(version)), MySqlDialect.ParseVersion(text));

    [Theory]
    [InlineData("9.5.25")]
    [InlineData("15.14 (Debian 15.14-0+deb12u1)")]
    [InlineData("17.2")]
    [InlineData("16beta1")]
    public void PostgreSQL_9_5_and_later_is_accepted(string version) =>
        Assert.Null(PostgresDialect.VersionProblem(version));

    [Theory]
    [InlineData("9.4.26", "PostgreSQL 9.4")]
    [InlineData("9.1.24 (Ubuntu)", "PostgreSQL 9.1")]
    public void Older_PostgreSQL_is_refused_naming_the_version_found_and_the_minimum(string version, string found)
    {
        var problem = PostgresDialect.VersionProblem(version);

        Assert.NotNull(problem);
        Assert.Contains(found, problem);
        Assert.Contains("PostgreSQL 9.5 or later", problem);
    }
}
