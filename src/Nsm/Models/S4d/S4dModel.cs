using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;

namespace Nsm.Models.S4d;

/// <summary>
/// S4D baseline (Gu et al. 2022): embedding, pre-norm residual S4D blocks (diagonal SSM by FFT
/// convolution, GELU, Linear+GLU), final LayerNorm, output head. Causal by construction (right
/// padding never reaches real positions; the head's masked mean drops it); streams with one
/// (B, H, N/2) complex state per layer, constant in the sequence length.
/// </summary>
public sealed class S4dModel : StackedModel<S4dBlock, S4dLayerState>
{
    /// <summary>State size N when model.state_size is 0 (the paper's default).</summary>
    public const int DefaultStateSize = S4dOptions.DefaultStateSize;

    /// <summary>The FLOP formula of <see cref="EstimateFlops"/>, in words.</summary>
    public const string FlopFormula = "dense + L·d·(4·d_state + 15·log2(2N) + 6) (kernel + FFT convolution)";

    private readonly int numLayers;
    private readonly int stateSize;

    public S4dModel(ModelConfig config, TaskSpec spec) : base(nameof(S4dModel), Checked(config), spec,
        () => Enumerable.Range(0, config.NumLayers).Select(_ => new S4dBlock(
            config.DModel, config.S4d.ResolvedStateSize, config.S4d.S4dInit, config.S4d.DtMin, config.S4d.DtMax, config.Dropout)),
        () => nn.LayerNorm(config.DModel))
    {
        numLayers = config.NumLayers;
        stateSize = config.S4d.ResolvedStateSize;
    }

    /// <summary>
    /// C (H, N/2, 2) builds the kernel, not a per-token matmul: it is counted in the mixing term, the
    /// other weights run for every token. Kernel K (H x L) from N/2 complex modes: ~8 N/2 per position;
    /// causal FFT convolution of length 2L: three real FFTs of ~2.5·2L·log2(2L) and a complex product, per channel.
    /// </summary>
    public override FlopEstimate EstimateFlops(long seqLen) => new(
        DenseFlops(name => name.EndsWith(".c", StringComparison.Ordinal) ? 0 : 1),
        numLayers * (double)DModel * (4.0 * stateSize + 15.0 * Math.Log2(2.0 * seqLen) + 6),
        FlopFormula);

    private static ModelConfig Checked(ModelConfig config)
    {
        config.S4d.Validate(config);
        return config;
    }

    protected override Tensor RunBlock(S4dBlock block, Tensor x, Tensor? paddingMask) => block.forward(x);

    protected override S4dLayerState InitialBlockState(S4dBlock block, long batchSize, Device device) => new(block.Layer.EmptyState(batchSize, device));

    protected override S4dLayerState ReadBlockState(LayerTensors tensors) => S4dLayerState.From(tensors);

    protected override (Tensor Output, S4dLayerState State) StepBlock(S4dBlock block, Tensor x, S4dLayerState state)
    {
        var (y, ssm) = block.Forward(x, state.Ssm);
        return (y, new S4dLayerState(ssm));
    }

    protected override void CheckStreamable() => BaselineChecks.Streamable(Spec, "s4d");
}
