using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
using Nsm.Registry;

namespace Nsm.Tests.Support;

/// <summary>Tiny configurations and task shapes for the baseline tests.</summary>
public static class BaselineFixtures
{
    /// <summary>The causal baselines (each implements <see cref="IStreamingModel"/>).</summary>
    public static readonly string[] CausalKinds = ["lstm", "gru", "rwkv", "s4d", "mamba"];

    public static TheoryData<string> Causal()
    {
        var data = new TheoryData<string>();
        foreach (var kind in CausalKinds) data.Add(kind);
        return data;
    }

    /// <summary>
    /// Width 16-32, 2 layers, small states, and small scan chunks so that sequences of a few tokens
    /// already cross chunk boundaries.
    /// </summary>
    public static ModelConfig Tiny(string kind, params string[] overrides) => ConfigLoader.FromOverrides(new[]
    {
        $"model.kind={kind}", "model.d_model=16", "model.num_layers=2", "model.num_heads=2",
        "model.state_size=8", "model.scan_chunk=4", "model.linformer_k=8",
    }.Concat(overrides)).Model;

    /// <summary>A causal language-model task: 11 tokens in and out.</summary>
    public static TaskSpec LanguageModel(int maxLength = 64) => new(11, 0, TaskOutput.PerToken, 11, Causal: true, MaxLength: maxLength);

    /// <summary>A non-causal classification task over 11 tokens with 3 classes.</summary>
    public static TaskSpec Classifier(int maxLength = 24) => new(11, 0, TaskOutput.Classification, 3, Causal: false, MaxLength: maxLength);

    /// <summary>A causal per-token task over continuous features (B, N, 5) with 4 classes.</summary>
    public static TaskSpec Features(int maxLength = 32) => new(0, 5, TaskOutput.PerToken, 4, Causal: true, MaxLength: maxLength);

    /// <summary>Builds a model through the registry with a fixed seed, in eval mode.</summary>
    public static SequenceModel Build(ModelConfig config, TaskSpec spec, long seed = 0)
    {
        manual_seed(seed);
        var model = ModelRegistry.Create(config, spec);
        model.eval();
        return model;
    }
}
