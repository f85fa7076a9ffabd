using System.Text;

namespace Profiler.Testing;

/// <summary>
/// Deterministic generators of bad input for the fault tests: mutations of valid values (characters inserted,
/// deleted, repeated, swapped), glob and control characters, invalid UTF-8, huge and deeply nested values.
/// </summary>
public static class MalformedInput
{
    /// <summary>A password that must never appear in any output.</summary>
    public const string Secret = "hunter2-Sekr3t";

    private static readonly string[] Fragments =
    [
        "*", "?", "[", "]", "{", "}", "%", "%zz", "%00", "@", ":", "/", "//", "\\", "..", "../", "?x=", "&", "=", ",", "#",
        " ", "\t", "\n", "\r", "\0", "\u0001", "\u007f", "é", "€", "\ud800", "😀", "'", "\"", "`", "$(id)", ";", "|",
        "redis://", "sqlite:///", "-1", "0", "65536", "99999999999", "[::1", "::1]", "%2F", "%40",
    ];

    public static readonly string[] ValidConnectionStrings =
    [
        $"redis://:{Secret}@127.0.0.1:6379/0",
        $"rediss://:{Secret}@cache.example:6380/1?socket_timeout=0.5",
        $"redissentinel://:{Secret}@127.0.0.1:26379,127.0.0.2:26380/0?sentinel_service_name=mymaster",
        $"mysql+pymysql://nova:{Secret}@db.local:3307/profiler?charset=utf8",
        $"postgresql+psycopg2://user:{Secret}@127.0.0.1:5433/traces",
        "sqlite:///relative/profiler.db",
        "sqlite:////var/lib/profiler/profiler.db",
    ];

    /// <summary><paramref name="count"/> mutated connection strings, the same every run.</summary>
    public static IEnumerable<string> ConnectionStrings(int count, int seed = 1)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var text = ValidConnectionStrings[random.Next(ValidConnectionStrings.Length)];
            yield return (i % 10) switch
            {
                0 => new string((char)random.Next(1, 0x2000), random.Next(1, 40)),
                1 => text[..random.Next(text.Length)],
                2 => text + new string('9', random.Next(1, 50)),
                3 => text.Replace("://", Fragments[random.Next(Fragments.Length)]),
                4 => new string('a', 100_000 + random.Next(1000)),
                _ => Mutate(text, random, random.Next(1, 4)),
            };
        }
    }

    /// <summary>Inserts, deletes, repeats or swaps characters <paramref name="times"/> times.</summary>
    public static string Mutate(string text, Random random, int times)
    {
        var sb = new StringBuilder(text);
        for (var t = 0; t < times; t++)
        {
            var at = sb.Length == 0 ? 0 : random.Next(sb.Length);
            switch (random.Next(4))
            {
                case 0: sb.Insert(at, Fragments[random.Next(Fragments.Length)]); break;
                case 1: if (sb.Length > 0) sb.Remove(at, Math.Min(sb.Length - at, random.Next(1, 4))); break;
                case 2: if (sb.Length > 0) sb.Insert(at, new string(sb[at], random.Next(1, 5))); break;
                default:
                    var other = sb.Length == 0 ? 0 : random.Next(sb.Length);
                    if (sb.Length > 1) (sb[at], sb[other]) = (sb[other], sb[at]);
                    break;
            }
        }
        return sb.ToString();
    }

    private static readonly string ValidPoint =
        "{\"name\": \"db-start\", \"base_id\": \"1b9b0e2e-7c2f-4f0c-9a59-3c4f6f8f2f11\", \"trace_id\": \"5d2f1c7a-0b3e-4d5f-8a6b-9c0d1e2f3a4b\", " +
        "\"parent_id\": \"1b9b0e2e-7c2f-4f0c-9a59-3c4f6f8f2f11\", \"timestamp\": \"2026-11-25T01:40:47.957338\", " +
        "\"info\": {\"db\": {\"statement\": \"SELECT 1\", \"params\": {}}, \"host\": \"node-1\"}, \"project\": \"nova\", \"service\": \"api\"}";

    /// <summary>
    /// <paramref name="count"/> JSON texts of bad points (each invalid as a point of docs/osprofiler-formats.md §1), as UTF-8 bytes:
    /// truncated JSON, wrong types, missing fields, huge strings, deep nesting, invalid UTF-8, glob characters
    /// in ids, names without -start/-stop, bad timestamps.
    /// </summary>
    public static IEnumerable<byte[]> BadPoints(int count, int seed = 2)
    {
        var random = new Random(seed);
        string[] fields = ["name", "base_id", "trace_id", "parent_id", "timestamp"];
        string[] badValues = ["5", "null", "true", "[]", "{}", "\"\"", "\"a*b\"", "\"a?\"", "\"[x]\"", "\"a b\"", "\"a\\u0000b\"",
            "\"../../etc\"", "\"" + new string('x', 300) + "\"", "1e999", "-0", "\"\\ud800\""];
        string[] badNames = ["db", "db-begin", "-start", "-stop", "db-start ", "db\\u0001-start", "db-STOP", "db-stopped"];
        string[] badTimestamps = ["2026-11-25 01:40:47", "2026-13-01T00:00:00.0", "2026-02-30T00:00:00.0", "yesterday", "", "2026-11-25T01:40:47.1234567", "１２３"];
        for (var i = 0; i < count; i++)
        {
            string text;
            switch (i % 12)
            {
                case 0: text = ValidPoint[..random.Next(ValidPoint.Length - 1)]; break;
                case 1:
                    var field = fields[random.Next(fields.Length)];
                    text = ReplaceValue(ValidPoint, field, badValues[random.Next(badValues.Length)]);
                    break;
                case 2: text = RemoveField(ValidPoint, fields[random.Next(fields.Length)]); break;
                case 3: text = ReplaceValue(ValidPoint, "name", "\"" + badNames[random.Next(badNames.Length)] + "\""); break;
                case 4: text = ReplaceValue(ValidPoint, "timestamp", "\"" + badTimestamps[random.Next(badTimestamps.Length)] + "\""); break;
                case 5:
                    var depth = 65 + random.Next(2000);
                    text = ValidPoint.Replace("\"host\": \"node-1\"", "\"deep\": " + new string('[', depth) + new string(']', depth) + ", \"host\": \"node-1\"")
                        .Replace("db-start", "db-start");
                    text = ReplaceValue(text, "base_id", "\"a*\"");
                    break;
                case 6:
                    var bytes = Encoding.UTF8.GetBytes(ValidPoint).ToList();
                    bytes.Insert(random.Next(bytes.Count), (byte)(0x80 + random.Next(0x7F)));
                    bytes.Insert(random.Next(bytes.Count), 0xFF);
                    yield return [.. bytes];
                    continue;
                case 7: text = ReplaceValue(ValidPoint, "info", "\"not an object\""); break;
                case 8: text = ReplaceValue(ValidPoint, "trace_id", "\"" + new string('z', 256 + random.Next(10_000)) + "\""); break;
                case 9: text = Mutate(ValidPoint.Replace("db-start", "db-begin"), random, 1); break;
                case 10: text = random.Next(3) switch { 0 => "[" + ValidPoint + "]", 1 => "\"" + "str" + "\"", _ => "" }; break;
                default: text = ReplaceValue(ValidPoint, "base_id", "\"x" + UnsafeIdCharacters[random.Next(UnsafeIdCharacters.Length)] + "\""); break;
            }
            yield return Encoding.UTF8.GetBytes(text);
        }
    }

    private static readonly string[] UnsafeIdCharacters = ["*", "?", "[", "]", " ", "/", "\\\\", "%", "@", "{", "é", "\\t", "\\n", "'", ","];

    private static string ReplaceValue(string json, string field, string value)
    {
        var key = $"\"{field}\": ";
        var start = json.IndexOf(key, StringComparison.Ordinal) + key.Length;
        var end = field == "info" ? json.IndexOf(", \"project\"", StringComparison.Ordinal) : json.IndexOf('"', start + 1) + 1;
        return json[..start] + value + json[end..];
    }

    private static string RemoveField(string json, string field)
    {
        var key = $"\"{field}\": ";
        var start = json.IndexOf(key, StringComparison.Ordinal);
        var end = json.IndexOf('"', start + key.Length + 1) + 1;
        if (end < json.Length && json[end] == ',') end += 2;
        return json[..start] + json[end..];
    }
}
