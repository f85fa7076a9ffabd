using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Profiler.Instrumentation;
using Profiler.Testing;

namespace Profiler.Hosting.Tests;

/// <summary>The <c>ttl</c> setting: <c>[profiler] ttl</c> or <c>Profiler:Ttl</c>, through <c>ToDriverSettings</c> to the driver.</summary>
public sealed class RetentionConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private IConfiguration Ini(string text) => new ConfigurationBuilder().AddIniFile(_dir.NewFile(text)).Build();

    [Fact]
    public void There_is_no_ttl_by_default_as_in_OSProfiler()
    {
        var o = ProfilerOptions.FromConfiguration(new ConfigurationBuilder().Build());

        Assert.Null(o.Ttl);
        Assert.Null(o.ToDriverSettings().Ttl);
    }

    [Theory]
    [InlineData("ttl = 7d", 7 * 86400)]
    [InlineData("ttl = 12h", 12 * 3600)]
    [InlineData("ttl = 90s", 90)]
    [InlineData("ttl = 3600", 3600)]
    public void The_ini_ttl_key_reaches_the_driver_settings(string line, int seconds)
    {
        var o = ProfilerOptions.FromConfiguration(Ini($"[profiler]\n{line}\n"));

        Assert.Equal(TimeSpan.FromSeconds(seconds), o.ToDriverSettings().Ttl);
    }

    [Fact]
    public void Profiler_Ttl_is_read_too()
    {
        var o = ProfilerOptions.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Profiler:Ttl"] = "15m" }).Build());

        Assert.Equal(TimeSpan.FromMinutes(15), o.ToDriverSettings().Ttl);
    }

    [Theory]
    [InlineData("ttl = 7w", "'7w'")]
    [InlineData("ttl = 0", "'0'")]
    [InlineData("ttl = 4000d", "'4000d'")]
    public void A_bad_ttl_names_the_key_the_value_and_what_is_accepted(string line, string value)
    {
        var e = Assert.Throws<FormatException>(() => ProfilerOptions.FromConfiguration(Ini($"[profiler]\n{line}\n")));

        Assert.Contains("profiler:ttl", e.Message);
        Assert.Contains(value, e.Message);
        Assert.Contains("90s, 15m, 12h, 7d", e.Message);
    }

    [Fact]
    public void The_validator_rejects_a_ttl_set_in_code_out_of_range_naming_it()
    {
        var result = new ProfilerOptionsValidator().Validate(null, new ProfilerOptions { Ttl = TimeSpan.Zero });

        Assert.True(result.Failed);
        Assert.Contains("Ttl = 0 s", result.FailureMessage);
        Assert.Contains("7d", result.FailureMessage);
    }

    [Fact]
    public void A_bad_ttl_in_configuration_fails_AddProfiler_at_validation_naming_the_key()
    {
        var services = new ServiceCollection().AddProfiler(Ini("[profiler]\nttl = soon\n")).BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ProfilerOptions>>().Value);

        Assert.Contains("profiler:ttl", e.Message);
        Assert.Contains("'soon'", e.Message);
    }
}
