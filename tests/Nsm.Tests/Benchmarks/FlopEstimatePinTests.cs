using Nsm.Benchmarks;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models.Transformer;
using Nsm.Registry;

namespace Nsm.Tests.Benchmarks;

/// <summary>
/// Pins the exact FLOP estimates (dense and mixing part, bit for bit) and the formula text of
/// every kind, taken from the counter as it was before the per-kind rules moved into the models:
/// moving code must not change a number. The cases cover causal and non-causal tasks, token and
/// feature inputs, lengths below and above the NSM chunk, and the NSM options the formula reads
/// (slot router, top-k and no communication, cross-layer states, no local attention).
/// </summary>
public sealed class FlopEstimatePinTests
{
    private static readonly Dictionary<string, TaskSpec> Specs = new()
    {
        ["lm"] = new TaskSpec(10, 0, TaskOutput.PerToken, 10, Causal: true, MaxLength: 64),
        ["cls"] = new TaskSpec(10, 0, TaskOutput.Classification, 3, Causal: false, MaxLength: 32),
        ["features"] = new TaskSpec(0, 6, TaskOutput.Classification, 4, Causal: false, MaxLength: 32),
        ["encoder"] = new TaskSpec(10, 0, TaskOutput.PerToken, 10, Causal: false, MaxLength: 32),
    };

    private const string Transformer = "model.kind=transformer model.d_model=16 model.num_layers=2 model.num_heads=4";
    private const string Linformer = "model.kind=linformer model.d_model=16 model.num_layers=2 model.num_heads=2 model.linformer_k=8";
    // The propagator the pins were taken with (the default before 2026-12-04); later overrides win.
    private const string Nsm = "model.kind=nsm model.propagator=gru model.d_model=16 model.num_layers=2 model.num_heads=2 model.num_states=4";

    /// <summary>Task shape, overrides, sequence length, dense and mixing FLOPs per token.</summary>
    public static TheoryData<string, string, long, double, double> Cases => new()
    {
        { "lm", Transformer, 8, 10560, 576 },
        { "lm", Transformer, 1000, 10560, 64064 },
        { "cls", "model.kind=transformer model.d_model=16 model.num_layers=1 model.num_heads=2 model.ffn_mult=3", 32, 6752, 2048 },
        { "lm", "model.kind=lstm model.d_model=16 model.num_layers=2", 8, 8512, 0 },
        { "features", "model.kind=lstm model.d_model=12 model.num_layers=1", 32, 2544, 0 },
        { "lm", "model.kind=gru model.d_model=16 model.num_layers=2", 8, 6464, 0 },
        { "lm", "model.kind=rwkv model.d_model=16 model.num_layers=2", 64, 13632, 384 },
        { "lm", "model.kind=mamba model.d_model=16 model.num_layers=2", 64, 11328, 8192 },
        { "lm", "model.kind=mamba model.d_model=16 model.num_layers=1 model.state_size=8 model.expand=3", 10, 7040, 3072 },
        { "lm", "model.kind=s4d model.d_model=16 model.num_layers=2", 8, 2368, 10304 },
        { "lm", "model.kind=s4d model.d_model=16 model.num_layers=2", 1000, 2368, 13647.576456637802 },
        { "cls", "model.kind=s4d model.d_model=16 model.num_layers=1 model.state_size=16", 100, 1120, 2954.525485545934 },
        { "cls", Linformer, 32, 10336, 2048 },
        { "cls", Linformer, 4, 10336, 1024 },
        { "lm", Nsm + " model.chunk_size=8 model.window=8", 3, 32448.000000000004, 2858.6666666666665 },
        { "lm", Nsm + " model.chunk_size=8 model.window=8", 1024, 19648, 3072 },
        { "lm", "model.kind=nsm model.propagator=gru model.d_model=16 model.num_layers=1 model.num_heads=2 model.num_states=4 model.max_states=6 model.router=slot model.communication=topk model.communication_top_k=2", 100, 9600, 2864 },
        { "lm", Nsm + " model.cross_layer_states=true model.propagator=lstm model.local_attention=false model.communication=none", 64, 12800, 768 },
        { "cls", Nsm + " model.chunk_size=8 model.window=4", 32, 13760, 2880 },
        { "encoder", "model.kind=nsm model.propagator=gru model.d_model=16 model.num_layers=1 model.num_heads=2 model.num_states=4 model.cross_layer_states=true", 20, 7679.999999999999, 3507.2 },
    };

    private static readonly Dictionary<string, string> Formulas = new()
    {
        ["gru"] = "dense (input and recurrent gate matrices, 12d² per layer)",
        ["linformer"] = "dense + L·8·d·k (sequence projections E, F and attention over k keys)",
        ["lstm"] = "dense (input and recurrent gate matrices, 16d² per layer)",
        ["mamba"] = "dense + L·8·d_inner·d_state (selective scan)",
        ["nsm"] = "dense (slot-side weights x s/c) + L·[4d(w+c) local + 4ds read + 2ds write (4ds slot router) + 4ds²/c communication + memory 4d(m+R) read, 4mw(W+R)/c addressing]; hybrid T layers 4d·(N+1)/2, L layers 4d(w+c)",
        ["rwkv"] = "dense + L·12d (WKV recurrence)",
        ["s4d"] = "dense + L·d·(4·d_state + 15·log2(2N) + 6) (kernel + FFT convolution)",
        ["transformer"] = "dense + L·4d·keys; keys = (N+1)/2 causal, N bidirectional",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EstimatesAreExactlyThePinnedValues(string spec, string overrides, long seqLen, double dense, double mixing)
    {
        var config = ConfigLoader.FromOverrides(overrides.Split(' ')).Model;
        using var model = ModelRegistry.Create(config, Specs[spec]);
        var flops = FlopCounter.Estimate(model, config, seqLen);
        Assert.Equal(dense, flops.Dense);
        Assert.Equal(mixing, flops.Mixing);
        Assert.Equal(Formulas[config.Kind], flops.Method);
        // The benchmarks' counter only passes on the model's own estimate.
        Assert.Equal(flops, model.EstimateFlops(seqLen));
    }

    [Fact]
    public void EveryKindHasItsPinnedFormula()
    {
        Assert.Equal(Formulas.OrderBy(kv => kv.Key, StringComparer.Ordinal), FlopCounter.Formulas.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Equal(ModelRegistry.Kinds, Formulas.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Formulas.OrderBy(kv => kv.Key, StringComparer.Ordinal), ModelRegistry.FlopFormulas.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void TheCounterRefusesAConfigOfAnotherKind()
    {
        var config = ConfigLoader.FromOverrides(["model.kind=transformer", "model.d_model=16", "model.num_layers=1", "model.num_heads=2"]).Model;
        using var model = ModelRegistry.Create(config, Specs["lm"]);
        var error = Assert.Throws<ArgumentException>(() => FlopCounter.Estimate(model, config with { Kind = "nsm" }, 8));
        Assert.Contains("TransformerModel", error.Message);
        Assert.Throws<ArgumentException>(() => FlopCounter.Estimate(model, config with { Kind = "unregistered" }, 8));
    }
}
