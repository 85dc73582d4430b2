namespace Nsm.Cli;

/// <summary>
/// Minimal parser for <c>--flag value</c>, <c>--flag=value</c>, repeated flags and switches.
/// Unknown flags are errors, so typos never pass silently.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, List<string>> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> switches = new(StringComparer.Ordinal);

    public Arguments(IEnumerable<string> args, IReadOnlySet<string> valueFlags, IReadOnlySet<string>? switchFlags = null)
    {
        switchFlags ??= new HashSet<string>();
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var arg = list[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                Positional.Add(arg);
                continue;
            }
            var name = arg[2..];
            string? inline = null;
            var eq = name.IndexOf('=');
            if (eq >= 0)
            {
                inline = name[(eq + 1)..];
                name = name[..eq];
            }
            if (switchFlags.Contains(name) && inline is null)
            {
                switches.Add(name);
                continue;
            }
            if (!valueFlags.Contains(name))
                throw new UsageException($"unknown option '--{name}'; valid: {string.Join(", ", valueFlags.Concat(switchFlags).Order().Select(f => "--" + f))}");
            var value = inline ?? (i + 1 < list.Count ? list[++i] : throw new UsageException($"option '--{name}' needs a value"));
            if (!values.TryGetValue(name, out var bucket)) values[name] = bucket = [];
            bucket.Add(value);
        }
    }

    public List<string> Positional { get; } = [];

    public bool Has(string name) => values.ContainsKey(name) || switches.Contains(name);

    public string? Get(string name) => values.TryGetValue(name, out var v) ? v[^1] : null;

    public IReadOnlyList<string> All(string name) => values.TryGetValue(name, out var v) ? v : [];

    public string Require(string name) => Get(name) ?? throw new UsageException($"missing required option '--{name}'");

    public int GetInt(string name, int fallback, int min = int.MinValue)
    {
        var text = Get(name);
        if (text is null) return fallback;
        if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min)
            throw new UsageException($"option '--{name}' must be an integer >= {min}, got '{text}'");
        return value;
    }

    public double GetDouble(string name, double fallback, double min = double.MinValue)
    {
        var text = Get(name);
        if (text is null) return fallback;
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || !double.IsFinite(value))
            throw new UsageException($"option '--{name}' must be a number >= {min}, got '{text}'");
        return value;
    }
}
