using Nsm.Config;
using Nsm.Registry;

namespace Nsm.Cli.Commands;

/// <summary>Resolves --config FILE / --preset NAME / --set overrides into a run config.</summary>
public static class ConfigSource
{
    public static RunConfig Load(Arguments a)
    {
        var file = a.Get("config");
        var preset = a.Get("preset");
        if (file is not null && preset is not null) throw new UsageException("give either --config or --preset, not both");
        if (file is not null) return Checked(ConfigLoader.LoadFile(file, a.All("set")));
        if (preset is not null) return Checked(ConfigLoader.LoadPreset(preset, a.All("set")));
        throw new UsageException($"give --config FILE or --preset NAME (presets: {string.Join(", ", ConfigLoader.PresetNames())})");
    }

    /// <summary>
    /// Runs the whole validation (ranges, names, cross-field rules): a broken rule is one error
    /// line and exit code 2; keys the chosen kind or task ignores are one warning line each on stderr.
    /// </summary>
    public static RunConfig Checked(RunConfig config)
    {
        foreach (var warning in ConfigValidator.Validate(config)) Console.Error.WriteLine(warning);
        return config;
    }

    /// <summary>A short name for run folders: the preset or the config file's name.</summary>
    public static string Name(Arguments a) =>
        a.Get("preset") ?? Path.GetFileNameWithoutExtension(a.Get("config") ?? "run");
}
