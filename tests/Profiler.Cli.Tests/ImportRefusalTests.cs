using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary>
/// <c>trace import</c> into a store that refuses some points for good (a Redis key of another type where a trace's list
/// goes): exit 3 naming the refused lines and the key, the other traces imported.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class ImportRefusalTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new("profiler-import-refusal-");

    public void Dispose() => _work.Dispose();

    private static string Line(string baseId, string name, int ms) =>
        $"{{\"name\": \"{name}\", \"base_id\": \"{baseId}\", \"trace_id\": \"op-{baseId}\", \"parent_id\": \"{baseId}\", " +
        $"\"timestamp\": \"2026-03-04T05:06:07.{ms:000}000\", \"project\": \"p\", \"service\": \"s\", \"info\": {{\"host\": \"h\"}}}}";

    [Fact]
    public void Importing_a_trace_whose_Redis_key_holds_another_type_exits_3_naming_its_lines_and_imports_the_rest()
    {
        using var redis = new RedisProcess();
        redis.Cli("SET", "osprofiler_opt:clash", "not a list");
        var file = Path.Combine(_work.Path, "points.jsonl");
        File.WriteAllLines(file, [Line("fine", "db-start", 0), Line("clash", "db-start", 1), Line("clash", "db-stop", 2), Line("fine", "db-stop", 3)]);

        var import = cli.Run(_work.Path, "trace", "import", file, "-c", redis.Url());

        Assert.True(import.ExitCode == 3, import.All);
        Assert.Contains("'osprofiler_opt:clash'", import.StandardError);
        Assert.Contains("Refused lines: 2, 3", import.StandardError);
        Assert.Equal("2", redis.Cli("LLEN", "osprofiler_opt:fine").Trim());
        Assert.Equal("not a list", redis.Cli("GET", "osprofiler_opt:clash").Trim());
    }
}
