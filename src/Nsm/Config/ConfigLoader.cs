using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Nsm.Core;

namespace Nsm.Config;

/// <summary>
/// Builds a <see cref="RunConfig"/> from JSON (a file or a named preset) plus dotted
/// overrides such as <c>model.d_model=128</c>, rejecting unknown keys, wrong types and
/// out-of-range values with one-line messages that name the key.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Options used to write configs: snake_case names from the records, indented.</summary>
    public static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = true };

    /// <summary>Folders searched for <c>NAME.json</c> presets, in order.</summary>
    public static IReadOnlyList<string> PresetDirectories()
    {
        var dirs = new List<string>();
        var fromEnv = Environment.GetEnvironmentVariable("NSM_CONFIG_DIR");
        if (!string.IsNullOrEmpty(fromEnv)) dirs.Add(fromEnv);
        dirs.Add(Path.Combine(Directory.GetCurrentDirectory(), "configs"));
        dirs.Add(Path.Combine(AppContext.BaseDirectory, "configs"));
        return dirs;
    }

    /// <summary>Names of every preset found in <see cref="PresetDirectories"/>.</summary>
    public static IReadOnlyList<string> PresetNames() =>
        PresetDirectories().Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d, "*.json"))
            .Select(f => Path.GetFileNameWithoutExtension(f)!)
            .Distinct().Order(StringComparer.Ordinal).ToList();

    public static string PresetPath(string name)
    {
        if (name.Contains('/') || name.Contains('\\'))
            throw new ConfigException($"preset names are plain names, got '{name}'; use --config for a file");
        foreach (var dir in PresetDirectories())
        {
            var path = Path.Combine(dir, name + ".json");
            if (File.Exists(path)) return path;
        }
        var known = PresetNames();
        throw new ConfigException($"unknown preset '{name}'{Spelling.DidYouMean(name, known)}available: {(known.Count == 0 ? "(none found)" : string.Join(", ", known))}");
    }

    public static RunConfig LoadPreset(string name, IEnumerable<string>? overrides = null) =>
        LoadFile(PresetPath(name), overrides);

    public static RunConfig LoadFile(string path, IEnumerable<string>? overrides = null) =>
        FromJson(ReadObject(path), overrides);

    private static JsonObject ReadObject(string path)
    {
        if (!File.Exists(path)) throw new ConfigException($"config file not found: {path}");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: StrictJson.Config);
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{path} is not valid JSON: {e.Message.Split('\n')[0]}");
        }
        if (root is not JsonObject obj) throw new ConfigException($"{path} must hold a JSON object with sections model, task, train");
        return obj;
    }

    /// <summary>
    /// Model keys whose default changed after run folders were already being written, with the
    /// value a config.json that lacks them meant when it was written: the parallel form and the
    /// decay propagator became the defaults on 2026-12-04.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> SavedRunDefaults = new Dictionary<string, string>
    {
        ["write_source"] = "output",
        ["propagator"] = "gru",
    };

    /// <summary>
    /// A run folder's config.json (written by nsm train, every key of its day): as <see cref="LoadFile"/>,
    /// except that a key of <see cref="SavedRunDefaults"/> the file lacks takes the value it had
    /// when the file was written, so an old run loads as the model it trained.
    /// </summary>
    public static RunConfig LoadSavedRun(string path, IEnumerable<string>? overrides = null)
    {
        var root = ReadObject(path);
        if (root["model"] is JsonObject model)
            foreach (var (key, value) in SavedRunDefaults)
                if (!model.ContainsKey(key)) model[key] = value;
        return FromJson(root, overrides);
    }

    /// <summary>Defaults plus overrides only (no file).</summary>
    public static RunConfig FromOverrides(IEnumerable<string> overrides) => FromJson(new JsonObject(), overrides);

    /// <summary>Parses a JSON object, applies overrides, checks every key, type and range.</summary>
    public static RunConfig FromJson(JsonObject root, IEnumerable<string>? overrides = null)
    {
        root = (JsonObject)root.DeepClone();
        foreach (var item in overrides ?? [])
            ApplyOverride(root, item);

        var config = (RunConfig)BuildRecord(typeof(RunConfig), root, "");
        ConfigRanges.Check(config);
        return config;
    }

    public static RunConfig With(this RunConfig config, IEnumerable<string> overrides) =>
        FromJson(ToJson(config), overrides);

    public static JsonObject ToJson(RunConfig config) =>
        (JsonObject)JsonSerializer.SerializeToNode(config, WriteOptions)!;

    public static string Serialize(RunConfig config) => JsonSerializer.Serialize(config, WriteOptions);

    /// <summary>The config as JSON with only the keys the chosen model kind and task read (what <c>nsm config show</c> prints).</summary>
    public static string SerializeApplicable(RunConfig config)
    {
        var json = ToJson(config);
        var (kind, task) = (config.Model.Kind, config.Task.Name);
        foreach (var (name, value) in config.Sections())
        {
            var section = (JsonObject)json[name]!;
            foreach (var key in ConfigSchema.Keys(value.GetType()))
                if (!key.AppliesTo(kind, task)) section.Remove(key.Name);
        }
        return json.ToJsonString(WriteOptions);
    }

    static void ApplyOverride(JsonObject root, string item)
    {
        var eq = item.IndexOf('=');
        if (eq <= 0) throw new ConfigException($"override '{item}' must look like section.key=value, e.g. train.lr=3e-4");
        var path = item[..eq].Trim().Split('.');
        var raw = item[(eq + 1)..].Trim();
        if (path.Length != 2 || path.Any(string.IsNullOrEmpty))
            throw new ConfigException($"override key '{item[..eq]}' must be section.key, e.g. model.d_model");
        if (root[path[0]] is not JsonObject section)
        {
            section = new JsonObject();
            root[path[0]] = section;
        }
        section[path[1]] = ParseValue(raw);
    }

    static JsonNode? ParseValue(string raw)
    {
        try
        {
            return JsonNode.Parse(raw, documentOptions: StrictJson.Document);
        }
        catch (JsonException)
        {
            return JsonValue.Create(raw);
        }
    }

    /// <summary>Builds the model section from its JSON object (used by <see cref="ModelConfigJsonConverter"/>).</summary>
    public static ModelConfig BuildModel(JsonObject json) => (ModelConfig)BuildRecord(typeof(ModelConfig), json, "model.");

    static object BuildRecord(Type type, JsonObject json, string prefix)
    {
        var keys = ConfigSchema.Keys(type);
        foreach (var name in json.Select(p => p.Key))
        {
            if (!keys.Any(k => k.Name == name))
            {
                var where = prefix.Length == 0 ? "section" : "key";
                throw new ConfigException($"unknown {where} '{prefix}{name}'{Spelling.DidYouMean(name, keys.Select(k => k.Name), prefix)}valid: {string.Join(", ", keys.Select(k => prefix + k.Name))}");
            }
        }

        var record = Activator.CreateInstance(type)!;
        foreach (var key in keys)
        {
            if (!json.TryGetPropertyValue(key.Name, out var node)) continue;
            var name = prefix + key.Name;
            object? value;
            if (key.IsObject)
            {
                if (node is not JsonObject child) throw new ConfigException($"'{name}' must be an object with keys: {string.Join(", ", ConfigSchema.Keys(key.Type).Select(k => k.Name))}");
                value = BuildRecord(key.Type, child, name + ".");
            }
            else
            {
                value = ConvertScalar(node, key.Type, name);
            }
            key.Set(record, value);
        }
        return record;
    }

    static object ConvertScalar(JsonNode? node, Type type, string name)
    {
        if (node is not JsonValue value) throw new ConfigException($"'{name}' must be a {Describe(type)}, got {(node is null ? "null" : node.ToJsonString())}");
        var kind = value.GetValueKind();
        if (type.IsEnum)
        {
            if (kind == JsonValueKind.String) return ConfigEnums.Parse(type, value.GetValue<string>(), name);
            throw new ConfigException($"'{name}' must be one of {string.Join(", ", ConfigEnums.Members(type).Select(m => m.Name))}, got {value.ToJsonString()}");
        }
        if (type == typeof(string))
        {
            if (kind == JsonValueKind.String) return value.GetValue<string>();
            throw new ConfigException($"'{name}' must be a string, got {value.ToJsonString()}");
        }
        if (type == typeof(bool))
        {
            if (kind is JsonValueKind.True or JsonValueKind.False) return value.GetValue<bool>();
            throw new ConfigException($"'{name}' must be true or false, got {value.ToJsonString()}");
        }
        if (kind != JsonValueKind.Number) throw new ConfigException($"'{name}' must be a {Describe(type)}, got {value.ToJsonString()}");
        var number = double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
        if (type == typeof(double)) return number;
        if (type == typeof(float)) return (float)number;
        if (type == typeof(int) || type == typeof(long))
        {
            if (number != Math.Floor(number) || double.IsInfinity(number))
                throw new ConfigException($"'{name}' must be an integer, got {value.ToJsonString()}");
            if (type == typeof(int))
            {
                if (number < int.MinValue || number > int.MaxValue) throw new ConfigException($"'{name}' is too large: {value.ToJsonString()}");
                return (int)number;
            }
            return (long)number;
        }
        throw new ConfigException($"'{name}' has an unsupported type {type.Name}");
    }

    static string Describe(Type type) =>
        type == typeof(int) || type == typeof(long) ? "integer" :
        type == typeof(double) || type == typeof(float) ? "number" :
        type == typeof(bool) ? "boolean" : type == typeof(string) ? "string" : type.Name;
}
