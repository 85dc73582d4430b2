using System.Reflection;
using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>
/// One JSON key of a config record: its name, its value type, where the value lives (a path
/// of properties; several paths when option sections share the key) and which model kinds or
/// tasks it applies to (null = all).
/// </summary>
public sealed record ConfigKey(string Name, Type Type, IReadOnlyList<PropertyInfo[]> Paths, IReadOnlyList<string>? Kinds, IReadOnlyList<string>? Tasks)
{
    /// <summary>Whether the value is a nested JSON object (a record), as the model, task and train sections of a run.</summary>
    public bool IsObject => Type.IsClass && Type != typeof(string);

    /// <summary>Whether the key means anything for this model kind and task.</summary>
    public bool AppliesTo(string kind, string task) =>
        (Kinds is null || Kinds.Contains(kind)) && (Tasks is null || Tasks.Contains(task));

    /// <summary>The value on <paramref name="record"/>, read along the path that applies to <paramref name="kind"/> when several do.</summary>
    public object? Get(object record, string? kind = null) => Read(record, PathFor(kind));

    /// <summary>Sets the value along every path (creating nothing: sections exist on every record).</summary>
    public void Set(object record, object? value)
    {
        foreach (var path in Paths)
        {
            var owner = record;
            for (var i = 0; i < path.Length - 1; i++) owner = path[i].GetValue(owner)!;
            path[^1].SetValue(owner, value);
        }
    }

    PropertyInfo[] PathFor(string? kind)
    {
        if (kind is not null)
            foreach (var path in Paths)
                if (path.Length > 1 && path[0].GetCustomAttribute<ConfigSectionAttribute>() is { } section && section.Kinds.Contains(kind))
                    return path;
        return Paths[0];
    }

    static object? Read(object record, PropertyInfo[] path)
    {
        object? value = record;
        foreach (var p in path) value = p.GetValue(value);
        return value;
    }
}

/// <summary>The keys of each config record type, option sections flattened, in declaration order.</summary>
public static class ConfigSchema
{
    static readonly Dictionary<Type, IReadOnlyList<ConfigKey>> Cache = [];

    public static IReadOnlyList<ConfigKey> Keys(Type type)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(type, out var keys)) return keys;
            var byName = new Dictionary<string, (Type Type, List<PropertyInfo[]> Paths, HashSet<string>? Kinds, IReadOnlyList<string>? Tasks)>();
            var order = new List<string>();
            void Add(PropertyInfo[] path, IReadOnlyList<string>? kinds)
            {
                var property = path[^1];
                var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name;
                if (!byName.TryGetValue(name, out var entry))
                {
                    entry = (property.PropertyType, [], kinds is null ? null : [], property.GetCustomAttribute<ForTasksAttribute>()?.Tasks);
                    byName[name] = entry;
                    order.Add(name);
                }
                else if (entry.Type != property.PropertyType)
                {
                    throw new InvalidOperationException($"config key '{name}' has two types: {entry.Type.Name} and {property.PropertyType.Name}");
                }
                entry.Paths.Add(path);
                if (kinds is not null) entry.Kinds?.UnionWith(kinds);
            }
            foreach (var property in Properties(type))
            {
                if (property.GetCustomAttribute<ConfigSectionAttribute>() is { } section)
                {
                    foreach (var inner in Properties(property.PropertyType))
                        if (inner.GetCustomAttribute<JsonPropertyNameAttribute>() is not null) Add([property, inner], section.Kinds);
                }
                else if (property.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
                {
                    Add([property], property.GetCustomAttribute<ForKindsAttribute>()?.Kinds);
                }
            }
            keys = order.Select(n => new ConfigKey(n, byName[n].Type, byName[n].Paths, byName[n].Kinds?.Order(StringComparer.Ordinal).ToList(), byName[n].Tasks)).ToList();
            Cache[type] = keys;
            return keys;
        }
    }

    static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
            .OrderBy(p => p.MetadataToken);
}
