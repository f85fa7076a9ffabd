namespace Profiler.Domain.Tests;

/// <summary>The one password scrubber (<see cref="ConnectionString.ScrubPassword"/>, <see cref="ConnectionString.Redact"/>).</summary>
public sealed class PasswordScrubTests
{
    [Theory]
    [InlineData("redis://:s3cret-pw@127.0.0.1:6379/0")]
    [InlineData("mysql+pymysql://nova:s3cret-pw@db/profiler")]
    public void The_password_is_hidden_wherever_it_stands_in_a_message(string url)
    {
        var store = ConnectionString.Parse(url);

        var scrubbed = store.ScrubPassword("AUTH s3cret-pw rejected (password 's3cret-pw')");

        Assert.Equal("AUTH *** rejected (password '***')", scrubbed);
    }

    [Fact]
    public void The_percent_encoded_and_the_as_written_forms_are_hidden_too()
    {
        // Written with lower-case escapes and an escaped unreserved character: neither the decoded password nor
        // Uri.EscapeDataString's form (p%40ss%2Fw0rd) is what the user typed.
        var store = ConnectionString.Parse("redis://:p%40ss%2fw%30rd@127.0.0.1:6379/0");

        var scrubbed = store.ScrubPassword("plain p@ss/w0rd, encoded p%40ss%2Fw0rd, as written p%40ss%2fw%30rd.");

        Assert.Equal("plain ***, encoded ***, as written ***.", scrubbed);
    }

    [Theory]
    [InlineData("redis://:a@h/0")]
    [InlineData("redis://:42@h/0")]
    public void A_one_or_two_character_password_is_hidden_only_inside_a_urls_userinfo(string url)
    {
        var store = ConnectionString.Parse(url);
        var password = store.Password!;

        var scrubbed = store.ScrubPassword($"server said: bad auth for redis://:{password}@h/0 after 42 tries as a user");

        Assert.Equal("server said: bad auth for redis://:***@h/0 after 42 tries as a user", scrubbed);
    }

    [Fact]
    public void Every_url_in_a_message_loses_its_userinfo_password_whoever_it_belongs_to()
    {
        var store = ConnectionString.Parse("redis://h/0");

        var scrubbed = store.ScrubPassword(
            "failover from 'redis://:x@10.0.0.1:6379/0' to \"rediss://admin:other%20one@10.0.0.2,10.0.0.3/1\" (see http://docs.example/)");

        Assert.Equal(
            "failover from 'redis://:***@10.0.0.1:6379/0' to \"rediss://admin:***@10.0.0.2,10.0.0.3/1\" (see http://docs.example/)",
            scrubbed);
    }

    [Fact]
    public void A_password_holding_at_signs_is_hidden_up_to_the_last_at_sign_as_the_parser_reads_it()
    {
        var store = ConnectionString.Parse("redis://:p@ss@w@host/0");

        Assert.Equal("p@ss@w", store.Password);
        Assert.Equal("url redis://:***@host/0", store.ScrubPassword("url redis://:p@ss@w@host/0"));
    }

    [Fact]
    public void A_url_already_redacted_and_text_without_a_password_are_left_as_they_are()
    {
        var store = ConnectionString.Parse("redis://:s3cret-pw@h/0");

        Assert.Equal("store redis://:***@h/0 is down", store.ScrubPassword("store redis://:***@h/0 is down"));
        Assert.Equal("mysql://root@db/x and http://h/p", store.ScrubPassword("mysql://root@db/x and http://h/p"));
        Assert.Equal("no password here", ConnectionString.Parse("sqlite:///x.db").ScrubPassword("no password here"));
    }

    [Fact]
    public void A_connection_string_that_does_not_parse_is_redacted_all_the_same()
    {
        Assert.Equal("redis://:***@host:notaport/0", ConnectionString.Redact("redis://:s3cret@host:notaport/0"));
        Assert.Equal("mysql://u:***@db/x?pwd=***&charset=utf8", ConnectionString.Redact("mysql://u:pw@db/x?pwd=s3cret&charset=utf8"));
        // Userinfo without ':' may be a password given in the user's place (redis://s3cret@host): hidden whole.
        Assert.Equal("redis://***@host:0", ConnectionString.Redact("redis://s3cret@host:0"));
        Assert.Equal("", ConnectionString.Redact(null));
    }

    [Fact]
    public void The_error_of_a_password_with_a_bad_escape_shows_neither_the_password_nor_its_text()
    {
        var e = Assert.Throws<FormatException>(() => ConnectionString.Parse("redis://:s3cret%zz@host/0"));

        Assert.Contains("password", e.Message);
        Assert.Contains("redis://:***@host/0", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
        Assert.DoesNotContain("%zz", e.Message);
    }
}
