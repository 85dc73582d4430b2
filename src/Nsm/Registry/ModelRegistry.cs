using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
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
    private static readonly Dictionary<string, Func<ModelConfig, TaskSpec, SequenceModel>> Builders = new()
    {
        ["transformer"] = (c, s) => new TransformerModel(c, s),
        ["nsm"] = (c, s) => new NsmModel(c, s),
        ["lstm"] = (c, s) => new LstmModel(c, s),
        ["rwkv"] = (c, s) => new RwkvModel(c, s),
        ["s4d"] = (c, s) => new S4dModel(c, s),
        ["mamba"] = (c, s) => new MambaModel(c, s),
        ["linformer"] = (c, s) => new LinformerModel(c, s),
    };

    public static IEnumerable<string> Kinds => Builders.Keys.Order(StringComparer.Ordinal);

    /// <summary>Builds the model named by config.Kind for a task; throws <see cref="ConfigException"/> for unknown kinds.</summary>
    public static SequenceModel Create(ModelConfig config, TaskSpec spec)
    {
        if (!Builders.TryGetValue(config.Kind, out var build))
            throw new ConfigException($"'model.kind' = \"{config.Kind}\" is not known; allowed: {string.Join(", ", Kinds)}");
        // model.target_params > 0: pick d_model for the parameter budget (docs/baselines.md).
        config = ModelSizing.Resolve(config, spec, build);
        return build(config, spec);
    }
}
