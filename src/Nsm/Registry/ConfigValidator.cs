using Nsm.Config;
using Nsm.Core;

namespace Nsm.Registry;

/// <summary>
/// The whole check of a run config, run by <c>nsm config validate</c> and before any training:
/// every key's range, the model kind and task names, and the cross-field rules of the chosen
/// family and task, so that what validates also builds. Keys set to a value that the chosen
/// kind or task does not read are not errors (old configs and quick kind swaps keep working):
/// they come back as one-line warnings.
/// </summary>
public static class ConfigValidator
{
    /// <summary>Throws a one-line <see cref="ConfigException"/> naming the keys at the first broken rule; returns the warnings.</summary>
    public static IReadOnlyList<string> Validate(RunConfig config)
    {
        ConfigRanges.Check(config);
        ModelRegistry.Validate(config.Model);
        TaskRegistry.Validate(config.Task);
        return Warnings(config);
    }

    /// <summary>One line per key whose value differs from its default although the chosen kind and task ignore it.</summary>
    public static IReadOnlyList<string> Warnings(RunConfig config)
    {
        var warnings = new List<string>();
        var (kind, task) = (config.Model.Kind, config.Task.Name);
        var defaultSections = new RunConfig().Sections();
        foreach (var ((section, value), (_, defaults)) in config.Sections().Zip(defaultSections))
        {
            foreach (var key in ConfigSchema.Keys(value.GetType()))
            {
                if (key.AppliesTo(kind, task)) continue;
                var set = key.Get(value, kind);
                if (Equals(set, key.Get(defaults, kind))) continue;
                var owner = key.Kinds is not null ? $"model.kind {string.Join("/", key.Kinds)}" : $"task.name {string.Join("/", key.Tasks!)}";
                warnings.Add($"warning: '{section}.{key.Name}' is ignored: it applies to {owner}, not to {(key.Kinds is not null ? kind : task)}");
            }
        }
        return warnings;
    }
}
