namespace Profiler.Domain.Tests;

public sealed class ConnectionStringTests
{
    [Fact]
    public void A_message_loses_the_password_plain_or_percent_encoded_but_a_tiny_password_is_left()
    {
        var store = ConnectionString.Parse("redis://:p%40ss%2Fw0rd@127.0.0.1:6379/0");

        Assert.Equal("auth *** failed; url :***@", store.ScrubPassword("auth p@ss/w0rd failed; url :p%40ss%2Fw0rd@"));
        Assert.Equal("a b a", ConnectionString.Parse("redis://:a@h/0").ScrubPassword("a b a"));
        Assert.Equal("no password", ConnectionString.Parse("redis://h/0").ScrubPassword("no password"));
    }

    [Fact]
    public void A_redis_url_with_password_and_database_parses()
    {
        var cs = ConnectionString.Parse("redis://:s3cret@127.0.0.1:6380/2");

        Assert.Equal("redis", cs.Scheme);
        Assert.Null(cs.Username);
        Assert.Equal("s3cret", cs.Password);
        Assert.Equal(new HostPort("127.0.0.1", 6380), cs.Host);
        Assert.Equal("2", cs.Path);
    }

    [Fact]
    public void Several_sentinels_and_query_settings_parse()
    {
        var cs = ConnectionString.Parse("redissentinel://:pw@10.0.0.1:26379,10.0.0.2,[::1]:26380/0?socket_timeout=0.5&sentinel_service_name=main");

        Assert.Equal([new HostPort("10.0.0.1", 26379), new HostPort("10.0.0.2", null), new HostPort("::1", 26380)], cs.Hosts);
        Assert.Equal(TimeSpan.FromSeconds(0.5), cs.GetSeconds("socket_timeout"));
        Assert.Equal("main", cs.Query["sentinel_service_name"]);
    }

    [Theory]
    [InlineData("mysql+pymysql://nova:p%40ss@db.local/profiler?charset=utf8", "mysql+pymysql", "nova", "p@ss", "profiler")]
    [InlineData("postgresql+psycopg2://user:pw@127.0.0.1:5433/traces", "postgresql+psycopg2", "user", "pw", "traces")]
    [InlineData("mysql://root@localhost/osprofiler", "mysql", "root", null, "osprofiler")]
    // An @ in the query is not user info; nor is one in a password's unencoded '/' form's rest (SQLAlchemy reads both so).
    [InlineData("postgresql://u:pw@db.local/traces?application_name=me@host", "postgresql", "u", "pw", "traces")]
    [InlineData("mysql://u:pa/ss@db.local/traces", "mysql", "u", "pa/ss", "traces")]
    [InlineData("redis://u:p@ss@db.local/0", "redis", "u", "p@ss", "0")]
    public void SQLAlchemy_urls_parse(string text, string scheme, string user, string? password, string database)
    {
        var cs = ConnectionString.Parse(text);

        Assert.Equal((scheme, user, password, database), (cs.Scheme, cs.Username, cs.Password, cs.Path));
    }

    [Theory]
    [InlineData("sqlite:///relative/profiler.db", "relative/profiler.db")]
    [InlineData("sqlite:////var/lib/profiler.db", "/var/lib/profiler.db")]
    [InlineData("sqlite:////tmp/team@host/traces.db", "/tmp/team@host/traces.db")]
    [InlineData("sqlite:///a@b.db", "a@b.db")]
    public void SQLite_urls_name_a_relative_or_absolute_file(string text, string path)
    {
        var cs = ConnectionString.Parse(text);

        Assert.Empty(cs.Hosts);
        Assert.Equal(path, cs.Path);
    }

    [Theory]
    [InlineData("redis://:topsecret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0")]
    [InlineData("mysql://nova:topsecret@db/profiler", "mysql://nova:***@db/profiler")]
    [InlineData("postgresql://u@db/x?password=topsecret", "postgresql://u@db/x?password=***")]
    public void Printing_a_connection_string_never_shows_the_password(string text, string shown)
    {
        Assert.Equal(shown, ConnectionString.Parse(text).ToString());
        Assert.DoesNotContain("topsecret", ConnectionString.Redact(text));
    }

    [Theory]
    [InlineData("redis//:topsecret@host", "no scheme")]
    [InlineData("redis://:topsecret@host:99999", "port '99999'")]
    [InlineData("redis://:topsecret@host:abc/0", "port 'abc'")]
    [InlineData("redis://:topsecret@ho st", "whitespace")]
    [InlineData("re dis://:topsecret@host", "scheme")]
    [InlineData("redis://:topsecret@[::1/0", "'['")]
    [InlineData("redis://:topsecret@:6379", "host")]
    [InlineData("", "empty")]
    public void A_malformed_string_says_what_is_wrong_and_what_is_expected_without_the_password(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => ConnectionString.Parse(text));

        Assert.Contains(reason, e.Message);
        Assert.Contains("scheme://", e.Message);
        Assert.DoesNotContain("topsecret", e.Message);
    }

    [Fact]
    public void A_bad_setting_names_its_key_and_value()
    {
        var cs = ConnectionString.Parse("redis://:pw@h/0?socket_timeout=fast");

        var e = Assert.Throws<FormatException>(() => cs.GetSeconds("socket_timeout"));
        Assert.Contains("socket_timeout='fast'", e.Message);
        Assert.DoesNotContain(":pw@", e.Message);
    }
}

public sealed class PercentEscapeTests
{
    [Theory]
    [InlineData("redis://:pw@host/%zz", "path '%zz'", "'%zz'")]
    [InlineData("redis://:pw@host/0%", "path '0%'", "'%'")]
    [InlineData("redis://:pw@host/%4", "path '%4'", "'%4'")]
    [InlineData("mysql://us%zzer:pw@db/x", "user name 'us%zzer'", "'%zz'")]
    [InlineData("mysql://u:pw@db/x?charset=utf%8", "value of query option 'charset'", "'%8'")]
    [InlineData("mysql://u:pw@db/x?char%set=utf8", "query key 'char%set'", "'%se'")]
    public void A_malformed_percent_escape_is_a_FormatException_naming_the_part_and_the_escape(string text, string part, string escape)
    {
        var e = Assert.Throws<FormatException>(() => ConnectionString.Parse(text));

        Assert.Contains(part, e.Message);
        Assert.Contains(escape, e.Message);
        Assert.Contains("%25", e.Message);
        Assert.Contains(":***@", e.Message);
        Assert.DoesNotContain(":pw@", e.Message);
    }

    [Theory]
    [InlineData("redis://:hunter2%zz@host/0")]
    [InlineData("redis://:hunter2%@host/0")]
    [InlineData("redis://:hunter2%4@host/0")]
    [InlineData("mysql://u@db/x?password=hunter2%zz")]
    public void A_malformed_escape_in_a_secret_is_an_error_that_shows_none_of_it(string text)
    {
        var e = Assert.Throws<FormatException>(() => ConnectionString.Parse(text));

        Assert.Contains("not percent-encoded correctly", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [Theory]
    [InlineData("sqlite:///tmp/x%00y.db", "path 'tmp/x%00y.db'")]
    [InlineData("mysql://u%0Aroot:pw@db/x", "user name 'u%0Aroot'")]
    public void An_escape_that_decodes_to_a_control_character_is_a_FormatException_naming_the_part(string text, string part)
    {
        var e = Assert.Throws<FormatException>(() => ConnectionString.Parse(text));

        Assert.Contains(part, e.Message);
        Assert.Contains("control character", e.Message);
        Assert.DoesNotContain('\0', e.Message);
    }

    [Fact]
    public void A_password_moved_into_the_path_by_a_typo_is_not_shown()
    {
        var cs = ConnectionString.Parse("redis:////:hunter2@127.0.0.1:6379/0");

        Assert.DoesNotContain("hunter2", cs.ToString());
    }

    [Fact]
    public void Escapes_that_are_not_UTF_8_are_a_FormatException()
    {
        var e = Assert.Throws<FormatException>(() => ConnectionString.Parse("sqlite:///db%ff.db"));

        Assert.Contains("UTF-8", e.Message);
        Assert.Contains("sqlite:///db%ff.db", e.Message);
    }

    [Fact]
    public void Well_formed_escapes_decode_in_every_part()
    {
        var cs = ConnectionString.Parse("mysql://n%C3%B6va:p%25w%2Fd@db/pro%20filer?app%5Fname=a%26b");

        Assert.Equal(("növa", "p%w/d", "pro filer"), (cs.Username, cs.Password, cs.Path));
        Assert.Equal("a&b", cs.Query["app_name"]);
    }
}
