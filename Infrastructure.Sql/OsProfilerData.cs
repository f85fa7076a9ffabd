using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Profiler.Domain;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// The codec of the <c>data</c> column (docs/osprofiler-formats.md §3): the point less the eight columns, <c>{"info": …}</c>, stored
/// double-encoded as OSProfiler stores it (a JSON string whose text is the JSON object).
/// </summary>
internal static class OsProfilerData
{
    private static readonly JsonSerializerOptions StringEncoding = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The <c>data</c> text of <paramref name="point"/>.</summary>
    public static string Encode(TracePoint point)
    {
        var info = new ArrayBufferWriter<byte>(512);
        using var json = new Utf8JsonWriter(info);
        var output = new ArrayBufferWriter<byte>(1024);
        Encode(point, json, info, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>
    /// Appends the UTF-8 of <see cref="Encode(TracePoint)"/> to <paramref name="output"/> in one pass:
    /// <c>info</c> is written once through <paramref name="json"/> (into <paramref name="info"/>, reset here), then
    /// quoted. The bytes are those of the two-step form, <c>Serialize("{\"info\": " + InfoJson(point) + "}")</c> with
    /// relaxed escaping: the writer's default encoder leaves only printable ASCII in <c>info</c>'s text, where that
    /// escaping touches just <c>"</c> and <c>\</c>. Any other byte takes the two-step form itself.
    /// </summary>
    public static void Encode(TracePoint point, Utf8JsonWriter json, ArrayBufferWriter<byte> info, IBufferWriter<byte> output)
    {
        info.ResetWrittenCount();
        json.Reset(info);
        if (point.Info is null)
        {
            json.WriteStartObject();
            json.WriteEndObject();
        }
        else point.Info.WriteTo(json);
        json.Flush();
        var text = info.WrittenSpan;
        if (text.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0)
        {
            var inner = "{\"info\": " + Encoding.UTF8.GetString(text) + "}";
            var quoted = JsonSerializer.Serialize(inner, StringEncoding);
            output.Advance(Encoding.UTF8.GetBytes(quoted, output.GetSpan(Encoding.UTF8.GetMaxByteCount(quoted.Length))));
            return;
        }
        ReadOnlySpan<byte> open = "\"{\\\"info\\\": "u8, close = "}\""u8;
        var span = output.GetSpan(open.Length + 2 * text.Length + close.Length);
        open.CopyTo(span);
        var at = open.Length;
        int next;
        while ((next = text.IndexOfAny((byte)'"', (byte)'\\')) >= 0)
        {
            text[..next].CopyTo(span[at..]);
            at += next;
            span[at++] = (byte)'\\';
            span[at++] = text[next];
            text = text[(next + 1)..];
        }
        text.CopyTo(span[at..]);
        at += text.Length;
        close.CopyTo(span[at..]);
        output.Advance(at + close.Length);
    }

    /// <summary>
    /// The <c>data</c> texts of a batch, in its order; one set of buffers for the whole batch (the writers of servers
    /// that take the values as strings).
    /// </summary>
    public static string[] EncodeAll(IReadOnlyList<TracePoint> points)
    {
        var data = new string[points.Count];
        var info = new ArrayBufferWriter<byte>(512);
        var encoded = new ArrayBufferWriter<byte>(1024);
        using var json = new Utf8JsonWriter(info);
        for (var i = 0; i < data.Length; i++)
        {
            encoded.ResetWrittenCount();
            Encode(points[i], json, info, encoded);
            data[i] = Encoding.UTF8.GetString(encoded.WrittenSpan);
        }
        return data;
    }

    /// <summary>
    /// The JSON object a <c>data</c> value holds, in either form: a JSON string holding the object (OSProfiler), or the
    /// object itself. <c>{}</c> for NULL; null when a string form is not JSON.
    /// </summary>
    public static string? Decode(string? data)
    {
        if (data is null) return "{}";
        var trimmed = data.AsSpan().TrimStart();
        if (trimmed.Length > 0 && trimmed[0] == '"')
        {
            try
            {
                return JsonSerializer.Deserialize<string>(data);
            }
            catch (JsonException)
            {
                return null;
            }
        }
        return data;
    }
}
