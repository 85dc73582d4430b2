using System.Reflection;
using System.Text.Json.Serialization;
using Nsm.Core;

namespace Nsm.Config;

/// <summary>The snake_case JSON names of the config enums (from <see cref="JsonStringEnumMemberNameAttribute"/>).</summary>
public static class ConfigEnums
{
    /// <summary>Every member of an enum with its JSON name, in declaration order.</summary>
    public static IReadOnlyList<(string Name, object Value)> Members(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name, f.GetValue(null)!))
            .ToList();

    /// <summary>The JSON name of one enum value.</summary>
    public static string Name(object value) => Members(value.GetType()).First(m => m.Value.Equals(value)).Name;

    /// <summary>The value whose JSON name is <paramref name="text"/>; a one-line ConfigException naming the key and the allowed names otherwise.</summary>
    public static object Parse(Type type, string text, string key)
    {
        foreach (var (name, value) in Members(type))
            if (name == text) return value;
        throw new ConfigException($"'{key}' = \"{text}\" is not allowed; allowed: {string.Join(", ", Members(type).Select(m => m.Name))}");
    }
}
