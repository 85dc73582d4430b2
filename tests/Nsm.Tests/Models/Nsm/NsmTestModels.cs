using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models.Nsm;

namespace Nsm.Tests.Models.Nsm;

/// <summary>Tiny NSM models for tests: width 32, 4 heads, 2 layers, 8 slots, chunk 8, window 8.</summary>
internal static class NsmTestModels
{
    public const int Vocab = 11;

    /// <summary>Language-model task shape (causal, per-token) with the tiny vocabulary.</summary>
    public static TaskSpec LanguageModel(int maxLength = 128) => new(Vocab, 0, TaskOutput.PerToken, Vocab, Causal: true, MaxLength: maxLength);

    /// <summary>Classification task shape (non-causal, 3 classes).</summary>
    public static TaskSpec Classifier(int maxLength = 64) => new(Vocab, 0, TaskOutput.Classification, 3, Causal: false, MaxLength: maxLength);

    public static ModelConfig Config(params string[] overrides) => ConfigLoader.FromOverrides(new[]
    {
        "model.kind=nsm", "model.d_model=32", "model.num_layers=2", "model.num_heads=4",
        "model.num_states=8", "model.chunk_size=8", "model.window=8", "model.state_ffn_mult=1",
        // The sequential form with gru (the defaults before 2026-12-04), so that every variant
        // below keeps testing what it names; the library defaults are the variant input + decay.
        "model.write_source=output", "model.propagator=gru",
    }.Concat(overrides)).Model;

    /// <summary>A causal LM NSM in eval mode, seeded.</summary>
    public static NsmModel Create(params string[] overrides) => Create(LanguageModel(), overrides);

    public static NsmModel Create(TaskSpec spec, params string[] overrides)
    {
        manual_seed(7);
        var model = new NsmModel(Config(overrides), spec);
        model.eval();
        return model;
    }

    /// <summary>Configurations that together switch on every option, for property tests.</summary>
    public static TheoryData<string> Variants() => new()
    {
        "",
        "model.fusion=gated",
        "model.router=slot",
        "model.propagator=lstm",
        "model.propagator=linear",
        "model.communication=topk,model.communication_top_k=3",
        "model.communication=none,model.local_attention=false",
        "model.cross_layer_states=true",
        "model.router_top_k=2,model.router_temperature=0.5,model.router_heads=2,model.router_null=false",
        "model.window=3,model.chunk_size=5,model.write_positions=false,model.write_conv=7",
        "model.write_conv=1",
        "model.write_source=input",
        "model.write_source=input,model.router=slot,model.propagator=lstm",
        "model.write_source=input,model.propagator=decay",
        "model.write_source=input,model.propagator=decay,model.router_floor=0.1",
        "model.propagator=decay,model.router=slot",
        "model.write_source=input,model.cross_layer_states=true,model.fusion=gated,model.propagator=linear",
        "model.write_source=input,model.window=3,model.chunk_size=5,model.write_conv=7,model.communication=topk,model.communication_top_k=3",
        "model.write_source=input,model.communication=none,model.local_attention=false,model.router_heads=2,model.router_top_k=2",
    };

    public static string[] Split(string variant) => variant.Length == 0 ? [] : variant.Split(',');
}
