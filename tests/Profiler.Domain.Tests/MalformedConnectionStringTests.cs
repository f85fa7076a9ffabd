using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Domain.Tests;

public sealed class MalformedConnectionStringTests(ITestOutputHelper output)
{
    [Fact]
    public void Two_thousand_mutated_connection_strings_parse_or_fail_with_one_clear_line_and_never_show_the_password()
    {
        int parsed = 0, rejected = 0, crashes = 0, leaks = 0;
        foreach (var text in MalformedInput.ConnectionStrings(2000))
        {
            // Only where the secret still stands in password position (":secret…@"); a mutation can make it a user name.
            var secretIsAPassword = text.Contains(":" + MalformedInput.Secret) && text.LastIndexOf('@') > text.IndexOf(MalformedInput.Secret, StringComparison.Ordinal);
            string shown;
            try
            {
                shown = ConnectionString.Parse(text).ToString();
                parsed++;
            }
            catch (FormatException e)
            {
                shown = e.Message;
                rejected++;
                Assert.DoesNotContain('\n', e.Message);
                Assert.Contains("Expected", e.Message);
            }
            catch (Exception e)
            {
                crashes++;
                output.WriteLine($"crash on {text[..Math.Min(80, text.Length)]}: {e.GetType().Name}: {e.Message}");
                continue;
            }
            if (secretIsAPassword && shown.Contains(MalformedInput.Secret))
            {
                leaks++;
                output.WriteLine($"leak: {text} -> {shown}");
            }
        }
        output.WriteLine($"connection strings: 2000 cases tried, {parsed} parsed, {rejected} rejected, {crashes} crashes, {leaks} password leaks");
        Assert.Equal(0, crashes);
        Assert.Equal(0, leaks);
        Assert.True(rejected > 1000, $"only {rejected} rejected: the generator is not producing bad input");
    }
}
