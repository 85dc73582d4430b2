using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
using Nsm.Models.Gru;
using Nsm.Models.Linformer;
using Nsm.Models.Lstm;
using Nsm.Models.Mamba;
using Nsm.Models.Nsm;
using Nsm.Models.Rwkv;
using Nsm.Models.S4d;
using Nsm.Models.Transformer;

namespace Nsm.Registry;

/// <summary>Every model kind selectable by <c>model.kind</c>, and how to build it.</summary>
public static class ModelRegistry
{
    /// <summary>How to build a kind, the rules its keys must keep, and the text of its FLOP formula (null: it counts dense weights only).</summary>
    private sealed record Entry(Func<ModelConfig, TaskSpec, SequenceModel> Build, Action<ModelConfig> Validate, string? FlopFormula);

    private static readonly Dictionary<string, Entry> Entries = new()
    {
        ["transformer"] = new((c, s) => new TransformerModel(c, s), c => ConfigRules.HeadsDivideWidth(c, rotary: true), TransformerModel.FlopFormula),
        ["nsm"] = new((c, s) => new NsmModel(c, s), c => c.Nsm.Validate(c), NsmModel.FlopFormula),
        ["lstm"] = new((c, s) => new LstmModel(c, s), _ => { }, LstmModel.FlopFormula),
        ["gru"] = new((c, s) => new GruModel(c, s), _ => { }, GruModel.FlopFormula),
        ["rwkv"] = new((c, s) => new RwkvModel(c, s), c => c.Rwkv.Validate(c), RwkvModel.FlopFormula),
        ["s4d"] = new((c, s) => new S4dModel(c, s), c => c.S4d.Validate(c), S4dModel.FlopFormula),
        ["mamba"] = new((c, s) => new MambaModel(c, s), c => c.Mamba.Validate(c), MambaModel.FlopFormula),
        ["linformer"] = new((c, s) => new LinformerModel(c, s), c => c.Linformer.Validate(c), LinformerModel.FlopFormula),
    };

    public static IEnumerable<string> Kinds => Entries.Keys.Order(StringComparer.Ordinal);

    /// <summary>
    /// The FLOP formula, in words, of every kind that states one (the Method of its
    /// <see cref="SequenceModel.EstimateFlops"/>), for reports that list kinds without building them.
    /// </summary>
    public static IReadOnlyDictionary<string, string> FlopFormulas { get; } =
        Entries.Where(kv => kv.Value.FlopFormula is not null).ToDictionary(kv => kv.Key, kv => kv.Value.FlopFormula!);

    /// <summary>Checks the kind name and the kind's cross-field rules; one-line <see cref="ConfigException"/> otherwise.</summary>
    public static void Validate(ModelConfig config) => Find(config).Validate(config);

    /// <summary>Builds the model named by config.Kind for a task; throws <see cref="ConfigException"/> for unknown kinds and broken rules.</summary>
    public static SequenceModel Create(ModelConfig config, TaskSpec spec)
    {
        var entry = Find(config);
        entry.Validate(config);
        // model.target_params > 0: pick d_model for the parameter budget (docs/baselines.md).
        config = ModelSizing.Resolve(config, spec, entry.Build);
        return entry.Build(config, spec);
    }

    private static Entry Find(ModelConfig config) =>
        Entries.TryGetValue(config.Kind, out var entry) ? entry
            : throw new ConfigException($"'model.kind' = \"{config.Kind}\" is not known{Spelling.DidYouMean(config.Kind, Kinds)}allowed: {string.Join(", ", Kinds)}");
}
