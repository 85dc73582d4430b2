using Nsm.Config;




namespace Nsm.Cli.Commands;

/// <summary>Resolves --config FILE / --preset NAME / --set overrides into a run config.</summary>
public static class ConfigSource
{
    public static RunConfig Load(Arguments a)
    {
        var file = a.Get("config");
        var preset = a.Get("preset");
        if (file is not null && preset is not null) throw new UsageException("give either --config or --preset, not both");
        if (file is not null) return ConfigLoader.LoadFile(file, a.All("set"));
        if (preset is not null) return ConfigLoader.LoadPreset(preset, a.All("set"));
        throw new UsageException($"give --config FILE or --preset NAME (presets: {string.Join(", ", ConfigLoader.PresetNames())})");
    }

    /// <summary>A short name for run folders: the preset or the config file's name.</summary>
    public static string Name(Arguments a) =>
        a.Get("preset") ?? Path.GetFileNameWithoutExtension(a.Get("config") ?? "run");
}
