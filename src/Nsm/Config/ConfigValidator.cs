using System.Globalization;
using System.Reflection;
using System.Text.Json.Serialization;
using Nsm.Core;
using Nsm.Registry;

namespace Nsm.Config;

/// <summary>Checks ranges and allowed values declared on config records, and registry names.</summary>
public static class ConfigValidator
{
    public static void Validate(RunConfig config)
    {
        CheckSection(config.Model, "model");
        CheckSection(config.Task, "task");
        CheckSection(config.Train, "train");
        CheckName("model.kind", config.Model.Kind, ModelRegistry.Kinds);
        CheckName("task.name", config.Task.Name, TaskRegistry.Names);
    }

    static void CheckName(string key, string value, IEnumerable<string> allowed)
    {
        var list = allowed.ToList();
        if (!list.Contains(value))
            throw new ConfigException($"'{key}' = \"{value}\" is not known; allowed: {string.Join(", ", list)}");
    }

    static void CheckSection(object section, string prefix)
    {
        foreach (var property in section.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            if (name is null) continue;
            var value = property.GetValue(section);
            var key = $"{prefix}.{name}";
            if (property.GetCustomAttribute<ConfigRangeAttribute>() is { } range && value is IConvertible number)
            {
                var x = number.ToDouble(CultureInfo.InvariantCulture);
                if (double.IsNaN(x) || x < range.Min || x > range.Max)
                    throw new ConfigException($"'{key}' = {Format(x)} is out of range; allowed: {Format(range.Min)} to {Format(range.Max)}");
            }
        }
    }

    static string Format(double x) => x.ToString("G", CultureInfo.InvariantCulture);
}
