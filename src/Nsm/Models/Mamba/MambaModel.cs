using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Modules;

namespace Nsm.Models.Mamba;

/// <summary>
/// Mamba-1 baseline (Gu &amp; Dao 2023): embedding, pre-norm residual Mamba blocks (selective SSM
/// with a short causal convolution and SiLU gating; no attention, no MLP), final RMSNorm, output
/// head tied to the embedding by default. Trains with a chunked scan; streams with a constant-size
/// state per layer: the last kernel-1 convolution inputs and the (B, E, N) SSM state. Causal: right
/// padding never reaches real positions; the head's masked mean drops it.
/// </summary>
public sealed class MambaModel : StackedModel<MambaBlock, MambaLayerState>
{
    /// <summary>State size N when model.state_size is 0 (the paper's default d_state).</summary>
    public const int DefaultStateSize = MambaOptions.DefaultStateSize;

    /// <summary>The FLOP formula of <see cref="EstimateFlops"/>, in words.</summary>
    public const string FlopFormula = "dense + L·8·d_inner·d_state (selective scan)";

    private readonly int numLayers;
    private readonly int expand;
    private readonly int stateSize;

    public MambaModel(ModelConfig config, TaskSpec spec) : base(nameof(MambaModel), Checked(config), spec,
        () => Enumerable.Range(0, config.NumLayers).Select(_ => new MambaBlock(
            new MambaMixer(config.DModel, config.Mamba.ResolvedStateSize, config.Mamba.ConvKernel, config.Mamba.Expand, config.Mamba.DtRank, config.Mamba.DtMin, config.Mamba.DtMax, config.NumLayers, config.Mamba.ScanChunk),
            config.DModel, config.Dropout)),
        () => new RmsNorm(config.DModel, eps: 1e-5))
    {
        numLayers = config.NumLayers;
        expand = config.Mamba.Expand;
        stateSize = config.Mamba.ResolvedStateSize;
    }

    /// <summary>
    /// Every weight runs for every token; the depthwise convolution weight (inner, 1, k) is counted
    /// by the dense rule (2 k per channel). The selective scan per channel and state: exp(dt A),
    /// dt B x, h = dA h + dB x, C h: 8 operations.
    /// </summary>
    public override FlopEstimate EstimateFlops(long seqLen) =>
        new(DenseFlops(), numLayers * 8.0 * expand * DModel * stateSize, FlopFormula);

    private static ModelConfig Checked(ModelConfig config)
    {
        config.Mamba.Validate(config);
        return config;
    }

    protected override Tensor RunBlock(MambaBlock block, Tensor x, Tensor? paddingMask) => block.forward(x);

    protected override MambaLayerState InitialBlockState(MambaBlock block, long batchSize, Device device)
    {
        var (conv, ssm) = block.Mixer.EmptyState(batchSize, device);
        return new MambaLayerState(conv, ssm);
    }

    protected override MambaLayerState ReadBlockState(LayerTensors tensors) => MambaLayerState.From(tensors);

    protected override (Tensor Output, MambaLayerState State) StepBlock(MambaBlock block, Tensor x, MambaLayerState state)
    {
        var (y, conv, ssm) = block.Forward(x, state.Conv, state.Ssm);
        return (y, new MambaLayerState(conv, ssm));
    }

    protected override void CheckStreamable() => BaselineChecks.Streamable(Spec, "mamba");
}
