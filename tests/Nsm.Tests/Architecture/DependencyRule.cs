namespace Nsm.Tests.Architecture;

/// <summary>
/// The layering of the core library (docs/layout.md): each namespace of src/Nsm and the
/// <c>Nsm.*</c> namespaces it may use. Anything not listed for a namespace is forbidden, so
/// the rule has no cycles by construction (every list names only layers further down).
/// </summary>
public static class DependencyRule
{
    static readonly string[] ModelLayer = ["Nsm.Core", "Nsm.Config", "Nsm.Ops", "Nsm.Modules"];
    static readonly string[] BelowRegistry = ["Nsm.Core", "Nsm.Config", "Nsm.Ops", "Nsm.Modules", "Nsm.Models", "Nsm.Models.*", "Nsm.Data", "Nsm.Data.*", "Nsm.Tasks"];

    /// <summary>Namespace (a trailing ".*" also covers its children) -> the namespaces its code may reference.</summary>
    public static readonly IReadOnlyList<(string Layer, string[] MayUse)> Layers =
    [
        ("Nsm.Core", []),
        ("Nsm.Config", ["Nsm.Core"]),
        ("Nsm.Ops", ["Nsm.Core", "Nsm.Config"]),
        ("Nsm.Modules", ["Nsm.Core", "Nsm.Config", "Nsm.Ops"]),
        // Shared model types; a family may use them but no other family.
        ("Nsm.Models", ModelLayer),
        ("Nsm.Models.*", [.. ModelLayer, "Nsm.Models"]),
        ("Nsm.Data", ["Nsm.Core"]),
        ("Nsm.Data.*", ["Nsm.Core", "Nsm.Data"]),
        ("Nsm.Tasks", ["Nsm.Core", "Nsm.Config", "Nsm.Data", "Nsm.Data.*"]),
        ("Nsm.Registry", BelowRegistry),
        ("Nsm.Checkpoints", [.. BelowRegistry, "Nsm.Registry"]),
        // The MPI link: plain arrays and TorchSharp only.
        ("Nsm.Distributed", []),
        ("Nsm.Training", [.. BelowRegistry, "Nsm.Registry", "Nsm.Checkpoints", "Nsm.Distributed"]),
        ("Nsm.Inference", [.. BelowRegistry, "Nsm.Registry", "Nsm.Checkpoints"]),
        ("Nsm.Inspection", BelowRegistry),
    ];

    static bool Covers(string pattern, string ns) =>
        pattern.EndsWith(".*", StringComparison.Ordinal) ? ns.StartsWith(pattern[..^1], StringComparison.Ordinal) : ns == pattern;

    /// <summary>The layer a namespace belongs to: its own entry, else the closest ".*" entry; null if none.</summary>
    public static string? LayerOf(string ns) =>
        Layers.Select(l => l.Layer).FirstOrDefault(l => l == ns) ?? Layers.Select(l => l.Layer).FirstOrDefault(l => Covers(l, ns));

    /// <summary>Whether code in namespace <paramref name="from"/> may reference a type in namespace <paramref name="to"/>.</summary>
    public static bool Allows(string from, string to)
    {
        if (from == to) return true;
        var layer = LayerOf(from) ?? throw new InvalidOperationException($"namespace {from} has no entry in the dependency rule");
        return Layers.First(l => l.Layer == layer).MayUse.Any(p => Covers(p, to));
    }
}
