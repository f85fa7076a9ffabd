namespace Profiler.Infrastructure.Redis.Tests;

public sealed class RedisScriptsTests
{
    [Fact]
    public void A_script_is_sent_without_its_comments_and_indentation_and_keeps_every_line()
    {
        const string script = "-- what it does\n  -- more\nlocal a = 1 -- trailing note\n    if a then\n      return a\n    end\n";

        var compact = RedisScripts.Compact(script);

        Assert.Equal("\n\nlocal a = 1 -- trailing note\nif a then\nreturn a\nend\n", compact);
        Assert.Equal(script.Split('\n').Length, compact.Split('\n').Length);
    }
}
