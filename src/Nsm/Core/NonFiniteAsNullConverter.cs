using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nsm.Core;

/// <summary>
/// Writes NaN and infinities as JSON null (JSON has no such numbers) and reads null back as NaN,
/// so a report of a run whose loss blew up is still valid JSON.
/// </summary>
public sealed class NonFiniteAsNullConverter : JsonConverter<double>
{
    public override bool HandleNull => true;

    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }

    /// <summary>A copy of <paramref name="options"/> with this converter added.</summary>
    public static JsonSerializerOptions With(JsonSerializerOptions options) => new(options) { Converters = { new NonFiniteAsNullConverter() } };
}
