using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;

namespace Profiler.Otlp;

/// <summary>Attribute values between OTLP's <see cref="AnyValue"/> and JSON (docs/otlp.md, "Attributes").</summary>
public static class OtlpValues
{
    /// <summary>Deepest nesting of arrays and key-value lists accepted in one attribute value: 64, as in a point's <c>info</c>.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// The JSON form of a value: string, bool, integer and double as themselves (a double that is not finite as its
    /// text), an array as an array, a key-value list as an object (a repeated key: the last wins), bytes as base64 text,
    /// an empty value as null. Throws <see cref="FormatException"/> past <see cref="MaxDepth"/> levels.
    /// </summary>
    public static JsonNode? ToJson(AnyValue? value, int depth = 0)
    {
        if (value is null) return null;
        if (depth > MaxDepth) throw new FormatException($"an attribute value nests deeper than {MaxDepth} levels");
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue: return JsonValue.Create(value.StringValue);
            case AnyValue.ValueOneofCase.BoolValue: return JsonValue.Create(value.BoolValue);
            case AnyValue.ValueOneofCase.IntValue: return JsonValue.Create(value.IntValue);
            case AnyValue.ValueOneofCase.DoubleValue:
                return double.IsFinite(value.DoubleValue)
                    ? JsonValue.Create(value.DoubleValue)
                    : JsonValue.Create(value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
            case AnyValue.ValueOneofCase.BytesValue: return JsonValue.Create(value.BytesValue.ToBase64());
            case AnyValue.ValueOneofCase.ArrayValue:
            {
                var array = new JsonArray();
                foreach (var item in value.ArrayValue.Values) array.Add(ToJson(item, depth + 1));
                return array;
            }
            case AnyValue.ValueOneofCase.KvlistValue:
            {
                var obj = new JsonObject();
                foreach (var kv in value.KvlistValue.Values) obj[kv.Key] = ToJson(kv.Value, depth + 1);
                return obj;
            }
            default: return null;
        }
    }

    /// <summary>Key-value pairs as a JSON object (a repeated key: the last wins), skipping <paramref name="skip"/>.</summary>
    public static void AddTo(JsonObject target, RepeatedField<KeyValue> attributes, Func<string, bool>? skip = null)
    {
        foreach (var kv in attributes)
        {
            if (skip is not null && skip(kv.Key)) continue;
            target[kv.Key] = ToJson(kv.Value, 1);
        }
    }

    /// <summary>
    /// The OTLP form of a JSON value: string, bool, an integer that fits 64 bits as an int, any other number as a
    /// double, an array as an array value, an object as a key-value list, null as an empty value.
    /// </summary>
    public static AnyValue FromJson(JsonNode? node)
    {
        switch (node)
        {
            case null: return new AnyValue();
            case JsonObject obj:
            {
                var list = new KeyValueList();
                foreach (var (key, child) in obj) list.Values.Add(new KeyValue { Key = key, Value = FromJson(child) });
                return new AnyValue { KvlistValue = list };
            }
            case JsonArray array:
            {
                var list = new ArrayValue();
                foreach (var child in array) list.Values.Add(FromJson(child));
                return new AnyValue { ArrayValue = list };
            }
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String: return new AnyValue { StringValue = value.GetValue<string>() };
                    case JsonValueKind.True: return new AnyValue { BoolValue = true };
                    case JsonValueKind.False: return new AnyValue { BoolValue = false };
                    case JsonValueKind.Number:
                    {
                        if (value.TryGetValue<long>(out var l)) return new AnyValue { IntValue = l };
                        // Whatever CLR type holds the number (int, decimal, a parsed element…), its JSON text says what it is.
                        var text = value.ToJsonString();
                        if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out l))
                            return new AnyValue { IntValue = l };
                        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d))
                            return new AnyValue { DoubleValue = d };
                        return new AnyValue { StringValue = text };
                    }
                    default: return new AnyValue();
                }
            default: return new AnyValue();
        }
    }

    /// <summary>One attribute.</summary>
    public static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    /// <summary>The string value of the first attribute named <paramref name="key"/>, or null.</summary>
    public static string? StringOf(RepeatedField<KeyValue> attributes, string key)
    {
        foreach (var kv in attributes)
            if (kv.Key == key && kv.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue)
                return kv.Value.StringValue;
        return null;
    }
}
