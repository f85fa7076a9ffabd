using System.Text;

namespace Profiler.Domain;

/// <summary>
/// One string per distinct text while a trace is read. A trace repeats the same few texts in every point (names,
/// project, service, host, parent ids; each trace id twice): reading them through one pool keeps a report of
/// 100,000 points to one copy of each, and looks short UTF-8 texts up without allocating. Not thread-safe: one pool
/// per reader.
/// </summary>
public sealed class StringPool
{
    /// <summary>Texts longer than this (in UTF-8 bytes) are decoded without a lookup buffer on the stack.</summary>
    private const int StackLimit = 256;

    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public StringPool() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Distinct texts held.</summary>
    public int Count => _strings.Count;

    /// <summary>The pooled string equal to <paramref name="text"/>, adding it on first sight.</summary>
    public string Get(string text)
    {
        if (_strings.TryGetValue(text, out var pooled)) return pooled;
        _strings.Add(text, text);
        return text;
    }

    /// <summary>The pooled string of the UTF-8 text <paramref name="utf8"/> (valid UTF-8), decoding it on first sight only.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > StackLimit) return Get(Encoding.UTF8.GetString(utf8));
        Span<char> chars = stackalloc char[StackLimit];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        return Get((ReadOnlySpan<char>)chars[..length]);
    }

    /// <summary>The pooled string equal to <paramref name="text"/>, allocating only on first sight.</summary>
    public string Get(ReadOnlySpan<char> text)
    {
        if (_lookup.TryGetValue(text, out var pooled)) return pooled;
        var created = text.ToString();
        _strings.Add(created, created);
        return created;
    }
}
