using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Nsm.Config;

namespace Nsm.Cli;

/// <summary>
/// Builders for the options of the nsm commands. A value option may be repeated and the last
/// value wins (as in the first hand-written parser); a switch takes no value; numbers are
/// checked against a minimum with one-line messages that name the option.
/// </summary>
public static class CliOption
{
    /// <summary>A text value, e.g. <c>--out DIR</c>.</summary>
    public static Option<string?> Text(string name, string helpName, string description, bool required = false) =>
        Value<string?>(name, helpName, description, text => text, required);

    /// <summary>An integer >= min with a fixed default (shown in help).</summary>
    public static Option<int> Int(string name, string helpName, string description, int defaultValue, int min)
    {
        var option = Value(name, helpName, description, text => ParseInt(name, text, min));
        option.DefaultValueFactory = _ => defaultValue;
        return option;
    }

    /// <summary>An integer >= min whose default depends on other switches (null when absent; the description states the defaults).</summary>
    public static Option<int?> Int(string name, string helpName, string description, int min) =>
        Value<int?>(name, helpName, description, text => ParseInt(name, text, min));

    /// <summary>A finite number >= min with a fixed default (shown in help).</summary>
    public static Option<double> Number(string name, string helpName, string description, double defaultValue, double min)
    {
        var option = Value(name, helpName, description, text => ParseNumber(name, text, min));
        option.DefaultValueFactory = _ => defaultValue;
        return option;
    }

    /// <summary>A finite number >= min whose default depends on other switches (null when absent).</summary>
    public static Option<double?> Number(string name, string helpName, string description, double min) =>
        Value<double?>(name, helpName, description, text => ParseNumber(name, text, min));

    /// <summary>One of a few words, completed by the shell (null when absent).</summary>
    public static Option<string?> Choice(string name, string helpName, string description, params string[] choices)
    {
        var option = Value<string?>(name, helpName, description, text => choices.Contains(text)
            ? text
            : throw new FormatException($"option '{name}' must be {string.Join(" or ", choices)}, got '{text}'"));
        option.CompletionSources.Add(choices);
        return option;
    }

    /// <summary>A comma-separated list, e.g. <c>--models nsm,transformer</c> (null when absent); with allowed, every item must be one of them.</summary>
    public static Option<IReadOnlyList<string>?> List(string name, string helpName, string description, IReadOnlyList<string>? allowed = null)
    {
        var option = Value<IReadOnlyList<string>?>(name, helpName, description, text =>
        {
            var items = Split(text);
            if (allowed is not null && items.FirstOrDefault(item => !allowed.Contains(item)) is { } bad)
                throw new FormatException($"option '{name}' takes {string.Join(", ", allowed)}; got '{bad}'");
            return items;
        });
        if (allowed is not null) option.CompletionSources.Add(allowed.ToArray());
        return option;
    }

    /// <summary>Comma-separated positive integers with optional k (x1024) and M (x1024²) suffixes, e.g. <c>256,1k,64k</c>.</summary>
    public static Option<IReadOnlyList<int>?> Sizes(string name, string helpName, string description) =>
        Value<IReadOnlyList<int>?>(name, helpName, description, text => Split(text).Select(item =>
        {
            var multiplier = item.EndsWith('k') ? 1024 : item.EndsWith('M') ? 1024 * 1024 : 1;
            var digits = multiplier == 1 ? item : item[..^1];
            if (!int.TryParse(digits, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value <= 0 || (long)value * multiplier > int.MaxValue)
                throw new FormatException($"option '{name}' must be comma-separated positive integers (e.g. 256,1k,64k), got '{item}'");
            return value * multiplier;
        }).ToList());

    /// <summary>A switch such as <c>--quick</c>: present or not, never followed by a value.</summary>
    public static Option<bool> Switch(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary><c>--set key=value</c>, repeatable: dotted config overrides, applied in order.</summary>
    public static Option<string[]> Overrides(string description = "override one config key, e.g. model.d_model=128 (repeatable; values are JSON, otherwise text)")
    {
        var option = new Option<string[]>("--set")
        {
            Description = description,
            HelpName = "key=value",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        option.CompletionSources.Add(_ => DottedConfigKeys().Select(key => key + "="));
        return option;
    }

    /// <summary>Sizes as the options take them: 1024 as 1k, 65536 as 64k.</summary>
    public static string FormatSizes(IEnumerable<int> sizes) => string.Join(",", sizes.Select(size =>
        size % (1024 * 1024) == 0 ? $"{size / (1024 * 1024)}M" : size % 1024 == 0 ? $"{size / 1024}k" : size.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Every key <c>--set</c> takes (model.d_model, train.lr, ...), for shell completion.</summary>
    public static IEnumerable<string> DottedConfigKeys() =>
        ConfigSchema.Keys(typeof(RunConfig)).Where(section => section.IsObject)
            .SelectMany(section => ConfigSchema.Keys(section.Type).Select(key => $"{section.Name}.{key.Name}"));

    private static Option<T> Value<T>(string name, string helpName, string description, Func<string, T> parse, bool required = false) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Required = required,
        // Several occurrences are accepted and the last one counts, so a script can append an option to override an earlier one.
        Arity = new ArgumentArity(1, 100_000),
        AllowMultipleArgumentsPerToken = false,
        CustomParser = result => Parse(result, parse),
    };

    private static T Parse<T>(ArgumentResult result, Func<string, T> parse)
    {
        try
        {
            return parse(result.Tokens[^1].Value);
        }
        catch (FormatException e)
        {
            result.AddError(e.Message);
            return default!;
        }
    }

    private static int ParseInt(string name, string text, int min) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new FormatException($"option '{name}' must be an integer >= {min}, got '{text}'");

    private static double ParseNumber(string name, string text, double min) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value >= min
            ? value
            : throw new FormatException($"option '{name}' must be a number >= {min.ToString(CultureInfo.InvariantCulture)}, got '{text}'");

    private static IReadOnlyList<string> Split(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
