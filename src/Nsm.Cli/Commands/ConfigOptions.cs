using System.CommandLine;
using Nsm.Config;
using Nsm.Registry;

namespace Nsm.Cli.Commands;

/// <summary><c>--config FILE</c> / <c>--preset NAME</c> / <c>--set key=value</c>: the options that resolve a run config.</summary>
public sealed class ConfigOptions
{
    public Option<string?> File { get; } = CliOption.Text("--config", "FILE", "config file: JSON with sections model, task, train (a run's config.json works too)");

    public Option<string?> Preset { get; } = PresetOption();

    public Option<string[]> Overrides { get; } = CliOption.Overrides();

    /// <summary>Adds the three options to a command.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(File);
        command.Options.Add(Preset);
        command.Options.Add(Overrides);
    }

    /// <summary>The --set values in the order given.</summary>
    public IReadOnlyList<string> OverridesOf(ParseResult parse) => parse.GetValue(Overrides) ?? [];

    /// <summary>The config from --config or --preset (one of them is required) with the overrides, fully validated.</summary>
    public RunConfig Load(ParseResult parse)
    {
        var file = parse.GetValue(File);
        var preset = parse.GetValue(Preset);
        if (file is not null && preset is not null) throw new UsageException("give either --config or --preset, not both");
        if (file is not null) return Checked(ConfigLoader.LoadFile(file, OverridesOf(parse)), parse.ErrorOutput());
        if (preset is not null) return Checked(ConfigLoader.LoadPreset(preset, OverridesOf(parse)), parse.ErrorOutput());
        throw new UsageException($"give --config FILE or --preset NAME (presets: {string.Join(", ", ConfigLoader.PresetNames())})");
    }

    /// <summary>Like <see cref="Load"/>, but the defaults plus overrides when neither --config nor --preset is given.</summary>
    public RunConfig LoadOrDefaults(ParseResult parse) =>
        parse.GetValue(File) is null && parse.GetValue(Preset) is null
            ? Checked(ConfigLoader.FromOverrides(OverridesOf(parse)), parse.ErrorOutput())
            : Load(parse);

    /// <summary>A short name for run folders: the preset or the config file's name.</summary>
    public string Name(ParseResult parse) =>
        parse.GetValue(Preset) ?? Path.GetFileNameWithoutExtension(parse.GetValue(File) ?? "run");

    /// <summary>
    /// Runs the whole validation (ranges, names, cross-field rules): a broken rule is one error
    /// line and exit code 2; keys the chosen kind or task ignores are one warning line each on stderr.
    /// </summary>
    public static RunConfig Checked(RunConfig config, TextWriter error)
    {
        foreach (var warning in ConfigValidator.Validate(config)) error.WriteLine(warning);
        return config;
    }

    private static Option<string?> PresetOption()
    {
        var option = CliOption.Text("--preset", "NAME", "preset NAME: configs/NAME.json or $NSM_CONFIG_DIR/NAME.json ('nsm config presets' lists them)");
        option.CompletionSources.Add(_ => ConfigLoader.PresetNames());
        return option;
    }
}
