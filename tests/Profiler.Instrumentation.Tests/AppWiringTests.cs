using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Profiler.Domain;
using Profiler.Infrastructure.Sql;
using Profiler.Instrumentation.Stores;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Instrumentation.Tests;

/// <summary>
/// An app wired as the README shows, on the generic host, without Profiler.Hosting and without a plugin folder:
/// <c>AddProfiler(configuration)</c> and <c>AddTraceStoreDriver&lt;SqliteDriver&gt;()</c> over a real SQLite file.
/// </summary>
public sealed class AppWiringTests : IDisposable
{
    private const string Key = "TOPSECRET-HMAC";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Database => $"sqlite:///{_dir.Path}/traces.db";

    private IConfiguration Ini(string text) => new ConfigurationBuilder().AddIniFile(_dir.NewFile(text)).Build();

    private static IHost Build(IConfiguration configuration, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddProfiler(configuration);
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    [Fact]
    public async Task An_app_that_registers_the_SQLite_driver_stores_points_in_a_file_without_any_plugin_folder()
    {
        using var host = Build(Ini($"[profiler]\nenabled = true\nhmac_keys = {Key}\nconnection_string = {Database}\nproject = nova\n"),
            s => s.AddTraceStoreDriver<SqliteDriver>());
        await host.StartAsync();
        var opener = host.Services.GetRequiredService<TraceStoreOpener>();
        Assert.Equal(RegisteredDriverSource.RegisteredOrigin, opener.Find("sqlite")!.Origin);

        var profiler = TraceProfiler.Init(Key, sink: host.Services.GetRequiredService<ITraceEventSink>());
        using (profiler.Trace("request")) { }
        Assert.True(await host.Services.GetRequiredService<TraceNotifier>().FlushAsync(Waiting.Patience));
        await host.StopAsync();

        // Read back with a store of its own: the points are in the file.
        await using var store = new SqliteDriver().Open(ConnectionString.Parse(Database), new DriverSettings());
        var names = new List<string>();
        await foreach (var p in store.ReadTraceAsync(profiler.BaseId, CancellationToken.None))
        {
            names.Add(p.Name);
            Assert.Equal("nova", p.Project);
        }
        Assert.Equal(["request-start", "request-stop"], names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_scheme_no_driver_serves_fails_the_start_naming_the_scheme_the_known_schemes_and_how_to_add_one()
    {
        using var host = Build(Ini($"[profiler]\nenabled = true\nhmac_keys = {Key}\nconnection_string = nodriver://:hunter22@store.example/x\n"),
            s => s.AddTraceStoreDriver<SqliteDriver>());
        var e = await Assert.ThrowsAsync<UnknownSchemeException>(() => host.StartAsync());
        Assert.Contains("scheme 'nodriver'", e.Message);
        Assert.Contains("Known schemes: sqlite", e.Message);
        Assert.Contains("AddTraceStoreDriver<", e.Message);
        Assert.Contains("plugins/<Name>/", e.Message);
        Assert.DoesNotContain("hunter22", e.Message);
        Assert.DoesNotContain(Key, e.Message);
    }

    [Fact]
    public async Task Without_any_driver_the_start_says_none_is_known()
    {
        using var host = Build(Ini($"[profiler]\nenabled = true\nconnection_string = {Database}\n"));
        var e = await Assert.ThrowsAsync<UnknownSchemeException>(() => host.StartAsync());
        Assert.Contains("scheme 'sqlite'", e.Message);
        Assert.Contains("Known schemes: none", e.Message);
    }

    [Fact]
    public async Task When_not_enabled_nothing_is_opened_at_start()
    {
        var driver = new RecordingDriver();
        using var host = Build(Ini($"[profiler]\nenabled = false\nconnection_string = {Database}\n"), s => s.AddTraceStoreDriver(driver));
        await host.StartAsync();
        await host.StopAsync();
        Assert.Empty(driver.Opened);
    }

    [Fact]
    public async Task The_store_is_opened_at_start_not_at_the_first_point()
    {
        var driver = new RecordingDriver();
        using var host = Build(Ini($"[profiler]\nenabled = true\nconnection_string = {Database}\n"), s => s.AddTraceStoreDriver(driver));
        Assert.Empty(driver.Opened);
        await host.StartAsync();
        Assert.Single(driver.Opened);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("ini")]
    [InlineData("memory")]
    public async Task Every_profiler_key_from_configuration_reaches_the_driver_settings(string source)
    {
        var driver = new RecordingDriver();
        var configuration = source == "ini"
            ? Ini($"""
                [profiler]
                enabled = true
                connection_string = {Database}
                filter_error_trace = yes
                socket_timeout = 0.5
                sentinel_service_name = master-1
                project = nova
                service = api
                host = node-7
                """)
            : new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Profiler:Enabled"] = "true",
                ["Profiler:ConnectionString"] = Database,
                ["Profiler:FilterErrorTrace"] = "true",
                ["Profiler:SocketTimeout"] = "0.5",
                ["Profiler:SentinelServiceName"] = "master-1",
                ["Profiler:Project"] = "nova",
                ["Profiler:Service"] = "api",
                ["Profiler:Host"] = "node-7",
            }).Build();
        using var host = Build(configuration, s => s.AddTraceStoreDriver(driver).AddSingleton<ILoggerFactory, LoggerFactory>());
        await host.StartAsync();
        var (cs, settings) = Assert.Single(driver.Opened);
        Assert.Equal(Path.Combine(_dir.Path, "traces.db"), cs.Path);
        Assert.True(settings.FilterErrorTrace);
        Assert.Equal(TimeSpan.FromSeconds(0.5), settings.SocketTimeout);
        Assert.Equal("master-1", settings.SentinelServiceName);
        Assert.Equal(("nova", "api", "node-7"), (settings.Project, settings.Service, settings.Host));
        Assert.NotSame(NullLoggerFactory.Instance, settings.LoggerFactory);
        await host.StopAsync();
    }

    [Fact]
    public async Task Every_bad_configuration_value_fails_the_start_naming_its_key_and_value_but_never_an_HMAC_key()
    {
        using var host = Build(Ini($"""
            [profiler]
            enabled = maybe
            hmac_keys = {Key}
            socket_timeout = fast
            batch_size = 0
            connection_string = nonsense
            """));
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("'profiler:enabled' = 'maybe'", e.Message);
        Assert.Contains("'profiler:socket_timeout' = 'fast'", e.Message);
        Assert.Contains("'profiler:batch_size' = '0'", e.Message);
        Assert.Contains("profiler:connection_string", e.Message);
        Assert.Equal(4, e.Failures.Count());
        Assert.DoesNotContain(Key, e.Message);
    }

    [Fact]
    public async Task Bad_values_set_in_code_fail_the_start_naming_the_property_and_value_but_never_an_HMAC_key()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddProfiler(o =>
        {
            o.Enabled = true;
            o.HmacKeys = [Key, ""];
            o.BatchSize = 20_000;
            o.SocketTimeout = TimeSpan.Zero;
            o.ConnectionString = "redis://:hunter22@host:notaport";
        });
        using var host = builder.Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("BatchSize = 20000", e.Message);
        Assert.Contains("SocketTimeout = 0 s", e.Message);
        Assert.Contains("HmacKeys holds an empty key (entry 1)", e.Message);
        Assert.Contains("ConnectionString = 'redis://:***@host:notaport'", e.Message);
        Assert.DoesNotContain(Key, e.Message);
        Assert.DoesNotContain("hunter22", e.Message);
    }

    [Fact]
    public async Task Labels_and_timeouts_set_in_code_are_held_to_the_limits_configuration_has_naming_option_value_and_range()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddProfiler(o =>
        {
            o.Enabled = true;
            o.Project = "nova\u0001";
            o.Service = "api\uD800";
            o.Host = new string('h', 256);
            o.SentinelServiceName = new string('m', 300);
            o.FlushTimeout = TimeSpan.MaxValue;
            o.SocketTimeout = TimeSpan.FromSeconds(3601);
        });
        using var host = builder.Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Project = 'nova?' (5 characters) is not valid: use at most 255 printable characters", e.Message);
        Assert.Contains("Service = 'api?' (4 characters) is not valid", e.Message);
        Assert.Contains($"Host = '{new string('h', 60)}…' (256 characters) is not valid", e.Message);
        Assert.Contains("SentinelServiceName = 'mmm", e.Message);
        Assert.Contains("FlushTimeout = 922337203685.4775 s is out of range: use 0 to 3600 seconds", e.Message);
        Assert.Contains("SocketTimeout = 3601 s is out of range: use more than 0 and at most 3600 seconds", e.Message);
        Assert.Equal(6, e.Failures.Count());
    }

    [Fact]
    public void The_limits_of_a_label_in_configuration_are_those_of_the_stored_point()
    {
        // An unpaired surrogate is not a printable character: the store could not keep it as written.
        var e = Assert.Throws<FormatException>(() => ProfilerOptions.FromConfiguration(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Profiler:Host"] = "node\uD800" }).Build()));
        Assert.Contains("'Profiler:Host' = 'node?' is not valid: use at most 255 printable characters", e.Message);
        Assert.Equal("node-1", ProfilerOptions.FromConfiguration(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Profiler:Host"] = "node-1" }).Build()).Host);
    }

    [Fact]
    public async Task Configure_in_code_adjusts_what_configuration_set()
    {
        var driver = new RecordingDriver();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddProfiler(Ini($"[profiler]\nenabled = true\nconnection_string = {Database}\nproject = nova\n"), o => o.Project = "glance");
        builder.Services.AddTraceStoreDriver(driver);
        using var host = builder.Build();
        await host.StartAsync();
        Assert.Equal("glance", Assert.Single(driver.Opened).Settings.Project);
        Assert.Equal("glance", host.Services.GetRequiredService<IOptions<ProfilerOptions>>().Value.Project);
        await host.StopAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_store_the_app_registers_itself_wins_over_the_connection_string(bool before)
    {
        var driver = new RecordingDriver();
        await using var own = new SqliteDriver().Open(ConnectionString.Parse(Database), new DriverSettings());
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (before) builder.Services.AddSingleton(own);
        builder.Services.AddProfiler(Ini("[profiler]\nenabled = true\nconnection_string = nodriver:///x\n"));
        if (!before) builder.Services.AddSingleton(own);
        builder.Services.AddTraceStoreDriver(driver);
        using var host = builder.Build();
        await host.StartAsync();
        Assert.Same(own, host.Services.GetRequiredService<ITraceStore>());
        Assert.Empty(driver.Opened);
        await host.StopAsync();
    }

    [Fact]
    public async Task Enabled_without_a_connection_string_or_a_store_fails_the_start_with_advice()
    {
        using var host = Build(Ini("[profiler]\nenabled = true\nhmac_keys = k\n"));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("ITraceStore", e.Message);
        Assert.Contains("connection_string", e.Message);
        Assert.Contains("AddTraceStoreDriver<", e.Message);
    }

    [Fact]
    public async Task A_driver_that_throws_something_unexpected_is_named_with_where_it_was_registered()
    {
        using var host = Build(Ini("[profiler]\nenabled = true\nconnection_string = sqlite://:hunter22@x/y\n"),
            s => s.AddTraceStoreDriver(new RecordingDriver(new InvalidCastException("bad cast near hunter22"))));
        var e = await Assert.ThrowsAsync<TraceStoreException>(() => host.StartAsync());
        Assert.Contains("Driver 'recording' registered with AddTraceStoreDriver failed to open", e.Message);
        Assert.Contains("InvalidCastException", e.Message);
        Assert.DoesNotContain("hunter22", e.Message);
    }

    [Fact]
    public async Task The_hosted_service_is_disposed_with_the_host_and_lets_go_of_the_default_sink()
    {
        using (var host = Build(Ini($"[profiler]\nenabled = true\nconnection_string = {Database}\n"), s => s.AddTraceStoreDriver<SqliteDriver>()))
        {
            await host.StartAsync();
            Assert.Same(host.Services.GetRequiredService<TraceNotifier>(), TraceProfiler.DefaultSink);
        }
        Assert.Same(NullTraceEventSink.Instance, TraceProfiler.DefaultSink);
    }

    [Fact]
    public async Task Points_SQLite_cannot_store_are_rejected_and_do_not_hold_up_the_points_after_them()
    {
        using var host = Build(Ini($"[profiler]\nenabled = true\nhmac_keys = {Key}\nconnection_string = {Database}\n"),
            s => s.AddTraceStoreDriver<SqliteDriver>());
        await host.StartAsync();
        var notifier = host.Services.GetRequiredService<TraceNotifier>();
        // A NaN in info (no JSON can hold it) and a host longer than the host column (varchar(255)).
        var profiler = new TraceProfiler(Key, notifier);
        using (profiler.Trace("nan", new JsonObject { ["ratio"] = double.NaN })) { }
        var longHost = new TraceProfiler(Key, notifier, profiler.BaseId, host: new string('h', 256));
        using (longHost.Trace("long-host")) { }
        Assert.True(await notifier.FlushAsync(Waiting.Patience));
        using (profiler.Trace("request")) { }
        Assert.True(await notifier.FlushAsync(Waiting.Patience));
        await host.StopAsync();

        Assert.Equal(3, notifier.RejectedCount);
        await using var store = new SqliteDriver().Open(ConnectionString.Parse(Database), new DriverSettings());
        var names = new List<string>();
        await foreach (var p in store.ReadTraceAsync(profiler.BaseId, CancellationToken.None)) names.Add(p.Name);
        Assert.Equal(["nan-stop", "request-start", "request-stop"], names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Shutdown_while_the_store_hangs_waits_for_one_deadline_not_for_the_stop_and_then_again_for_the_disposal()
    {
        var store = new FakeTraceStore();
        store.Hang();
        // flush_timeout far beyond any test's patience; the host's shutdown timeout (its stop token) ends the flush.
        using var host = Build(Ini($"[profiler]\nenabled = true\nhmac_keys = {Key}\nflush_timeout = 3600\n"), s => s
            .AddSingleton<ITraceStore>(store)
            .Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200)));
        await host.StartAsync();
        var notifier = host.Services.GetRequiredService<TraceNotifier>();
        var profiler = new TraceProfiler(Key, notifier);
        using (profiler.Trace("request")) { }
        await Waiting.UntilAsync(() => store.Writes >= 1, "the notifier to reach the hanging store");

        await host.StopAsync().WaitAsync(Waiting.Patience);
        // Disposing the container disposes the notifier: the deadline passed during the stop, so it gives up at once.
        await Task.Run(host.Dispose).WaitAsync(Waiting.Patience);

        Assert.Equal(2, notifier.DroppedCount);
        Assert.Empty(store.Points);
    }

    /// <summary>Serves <c>sqlite</c> with the real SQLite driver, recording what it was opened with (or failing as told).</summary>
    private sealed class RecordingDriver(Exception? failure = null) : ITraceStoreDriver
    {
        public List<(ConnectionString ConnectionString, DriverSettings Settings)> Opened { get; } = [];
        public string Name => "recording";
        public IReadOnlyList<string> Schemes { get; } = ["sqlite"];

        public ITraceStore Open(ConnectionString connectionString, DriverSettings settings)
        {
            if (failure is not null) throw failure;
            Opened.Add((connectionString, settings));
            return new SqliteDriver().Open(connectionString, settings);
        }
    }
}
