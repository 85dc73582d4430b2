using System.Globalization;
using System.Reflection;
using Nsm.Core;

namespace Nsm.Config;

/// <summary>
/// Checks every key of a run config against its declared range, one key at a time. Rules that
/// tie keys together, and the names of kinds and tasks, are checked one layer up
/// (<c>Nsm.Registry.ConfigValidator</c>), where the registries live.
/// </summary>
internal static class ConfigRanges
{
    public static void Check(RunConfig config)
    {
        foreach (var (name, section) in config.Sections()) CheckSection(section, name);
    }

    static void CheckSection(object section, string prefix)
    {
        foreach (var key in ConfigSchema.Keys(section.GetType()))
        {
            foreach (var path in key.Paths)
            {
                if (path[^1].GetCustomAttribute<ConfigRangeAttribute>() is not { } range) continue;
                object? value = section;
                foreach (var p in path) value = p.GetValue(value);
                if (value is not IConvertible number) continue;
                var x = number.ToDouble(CultureInfo.InvariantCulture);
                if (double.IsNaN(x) || x < range.Min || x > range.Max)
                    throw new ConfigException($"'{prefix}.{key.Name}' = {Format(x)} is out of range; allowed: {Format(range.Min)} to {Format(range.Max)}");
            }
        }
    }

    static string Format(double x) => x.ToString("G", CultureInfo.InvariantCulture);
}
