using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Profiler.Instrumentation;
using Profiler.Testing;

namespace Profiler.Hosting.Tests;

public sealed class ConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private IConfiguration Ini(string text) => new ConfigurationBuilder().AddIniFile(_dir.NewFile(text)).Build();

    [Fact]
    public void Defaults_match_the_documented_ones()
    {
        var o = ProfilerOptions.FromConfiguration(new ConfigurationBuilder().Build());
        Assert.False(o.Enabled);
        Assert.Empty(o.HmacKeys);
        Assert.Null(o.ConnectionString);
        Assert.False(o.FilterErrorTrace);
        Assert.Equal(TimeSpan.FromSeconds(0.1), o.SocketTimeout);
        Assert.Equal("mymaster", o.SentinelServiceName);
        Assert.Equal((30_000, 500), (o.BufferSize, o.BatchSize));
        Assert.Null(o.Host);
    }

    [Theory]
    [InlineData("profiler")]
    [InlineData("osprofiler")]
    public void An_openstack_ini_section_is_read(string section)
    {
        var o = ProfilerOptions.FromConfiguration(Ini($"""
            [DEFAULT]
            debug = True
            # a comment
            [{section}]
            enabled = True
            hmac_keys = SECRET_KEY, second
            connection_string = redis://localhost:6390
            filter_error_trace = yes
            socket_timeout = 0.5
            sentinel_service_name = master-1
            trace_sqlalchemy = true
            """));
        Assert.True(o.Enabled);
        Assert.Equal(["SECRET_KEY", "second"], o.HmacKeys);
        Assert.Equal("redis://localhost:6390", o.ConnectionString);
        Assert.True(o.FilterErrorTrace);
        Assert.Equal(TimeSpan.FromSeconds(0.5), o.SocketTimeout);
        Assert.Equal("master-1", o.SentinelServiceName);
        var settings = o.ToDriverSettings();
        Assert.Equal((TimeSpan.FromSeconds(0.5), "master-1", true), (settings.SocketTimeout, settings.SentinelServiceName, settings.FilterErrorTrace));
    }

    [Fact]
    public void The_Profiler_section_takes_PascalCase_keys_and_lists()
    {
        var o = ProfilerOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Profiler:Enabled"] = "false",
            ["Profiler:HmacKeys:0"] = "a",
            ["Profiler:HmacKeys:1"] = "b",
            ["Profiler:BufferSize"] = "42",
            ["Profiler:BatchSize"] = "7",
            ["Profiler:ActivitySources"] = "One, Two",
            ["Profiler:Project"] = "nova",
        }).Build());
        Assert.Equal(["a", "b"], o.HmacKeys);
        Assert.Equal((42, 7), (o.BufferSize, o.BatchSize));
        Assert.Equal(["One", "Two"], o.ActivitySources);
        Assert.Equal("nova", o.Project);
    }

    [Theory]
    [InlineData("enabled = maybe", "profiler:enabled", "'maybe'", "true or false")]
    [InlineData("socket_timeout = fast", "profiler:socket_timeout", "'fast'", "number of seconds")]
    [InlineData("socket_timeout = 0", "profiler:socket_timeout", "'0'", "above 0")]
    [InlineData("batch_size = 20000", "profiler:batch_size", "'20000'", "1 to 10000")]
    [InlineData("connection_string = nonsense", "profiler:connection_string", "nonsense", "scheme")]
    public void A_bad_value_names_the_key_the_value_and_what_is_accepted(string line, string key, string value, string accepted)
    {
        var e = Assert.Throws<FormatException>(() => ProfilerOptions.FromConfiguration(Ini($"[profiler]\nhmac_keys = TOPSECRET\n{line}\n")));
        Assert.Contains(key, e.Message);
        Assert.Contains(value, e.Message);
        Assert.Contains(accepted, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("TOPSECRET", e.Message);
    }

    [Fact]
    public void A_connection_string_password_is_not_shown_in_the_error()
    {
        var e = Assert.Throws<FormatException>(() => ProfilerOptions.FromConfiguration(
            Ini("[profiler]\nconnection_string = redis://:hunter2@host:notaport\n")));
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.Contains("connection_string", e.Message);
    }

    [Fact]
    public async Task Enabled_without_a_registered_store_fails_at_start_with_advice()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddProfiler(Ini("[profiler]\nenabled = true\nhmac_keys = k\n"));
        using var host = builder.Build();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("ITraceStore", e.Message);
    }
}
