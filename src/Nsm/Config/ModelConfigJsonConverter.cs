using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>
/// Writes and reads the model section flat: the keys of the option sections sit beside the
/// shared keys, exactly as config.json has always held them. A key that two sections share is
/// written from the section of the config's own kind.
/// </summary>
internal sealed class ModelConfigJsonConverter : JsonConverter<ModelConfig>
{
    public override ModelConfig Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (JsonNode.Parse(ref reader) is not JsonObject json) throw new JsonException("the model section must be a JSON object");
        return ConfigLoader.BuildModel(json);
    }

    public override void Write(Utf8JsonWriter writer, ModelConfig value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var key in ConfigSchema.Keys(typeof(ModelConfig)))
        {
            writer.WritePropertyName(key.Name);
            JsonSerializer.Serialize(writer, key.Get(value, value.Kind), key.Type, options);
        }
        writer.WriteEndObject();
    }
}
