using Nsm.Config;

namespace Nsm.Cli.Commands;

/// <summary>
/// <c>nsm config show --preset NAME|--config FILE [--set k=v ...]</c> prints the resolved config (the keys the chosen kind and task read);
/// <c>nsm config validate ...</c> checks it; <c>nsm config presets</c> lists presets.
/// </summary>
public static class ConfigCommand
{
    public const string Usage = "nsm config show|validate --config FILE|--preset NAME [--set key=value ...]  |  nsm config presets";

    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count == 0) throw new UsageException($"usage: {Usage}");
        var rest = args.Skip(1);
        switch (args[0])
        {
            case "show":
                Console.WriteLine(ConfigLoader.SerializeApplicable(Load(rest)));
                return 0;
            case "validate":
                Load(rest);
                Console.WriteLine("config is valid");
                return 0;
            case "presets":
                foreach (var name in ConfigLoader.PresetNames()) Console.WriteLine(name);
                return 0;
            default:
                throw new UsageException($"unknown config command '{args[0]}'; usage: {Usage}");
        }
    }

    private static RunConfig Load(IEnumerable<string> args)
    {
        var a = new Arguments(args, new HashSet<string> { "config", "preset", "set" });
        if (!a.Has("config") && !a.Has("preset")) return ConfigSource.Checked(ConfigLoader.FromOverrides(a.All("set")));
        return ConfigSource.Load(a);
    }
}
