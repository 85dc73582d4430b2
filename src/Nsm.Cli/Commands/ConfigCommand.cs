using System.CommandLine;
using Nsm.Config;

namespace Nsm.Cli.Commands;

/// <summary>
/// <c>nsm config show [--preset NAME|--config FILE] [--set k=v ...]</c> prints the resolved config (the keys the chosen kind and task read);
/// <c>nsm config validate ...</c> checks it; <c>nsm config presets</c> lists presets.
/// </summary>
public static class ConfigCommand
{
    public static Command Create()
    {
        var show = WithConfig("show", "Print the resolved config as JSON: the keys the chosen model.kind and task.name read, with their values.",
            (parse, config) => parse.Output().WriteLine(ConfigLoader.SerializeApplicable(config)));
        var validate = WithConfig("validate", "Check a config completely: keys, types, ranges, kind and task names and the rules that tie keys together.",
            (parse, _) => parse.Output().WriteLine("config is valid"));
        var presets = new Command("presets", "List the presets (configs/*.json and $NSM_CONFIG_DIR/*.json).");
        presets.SetAction(parse =>
        {
            foreach (var name in ConfigLoader.PresetNames()) parse.Output().WriteLine(name);
            return 0;
        });
        return new Command("config", "Show, validate or list configs.") { show, validate, presets };
    }

    /// <summary>A subcommand on the config from --config/--preset/--set, or on the defaults plus --set when neither is given.</summary>
    private static Command WithConfig(string name, string description, Action<ParseResult, RunConfig> act)
    {
        var options = new ConfigOptions();
        var command = new Command(name, description + " Without --config and --preset: the defaults plus --set.");
        options.AddTo(command);
        command.SetAction(parse =>
        {
            act(parse, options.LoadOrDefaults(parse));
            return 0;
        });
        return command;
    }
}
