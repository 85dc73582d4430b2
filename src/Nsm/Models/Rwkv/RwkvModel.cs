using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;

namespace Nsm.Models.Rwkv;

/// <summary>
/// RWKV-4 baseline (Peng et al. 2023): embedding, RWKV blocks (token-shift time mixing with the
/// decayed WKV recurrence, token-shift channel mixing), final LayerNorm, output head. Causal (right
/// padding never reaches real positions; the head's masked mean drops it); trains with the chunked
/// WKV and streams as an RNN with five (B, C) tensors per layer.
/// </summary>
public sealed class RwkvModel : StackedModel<RwkvBlock, RwkvBlockState>
{
    /// <summary>The FLOP formula of <see cref="EstimateFlops"/>, in words.</summary>
    public const string FlopFormula = "dense + L·12d (WKV recurrence)";

    private readonly long dim;
    private readonly int numLayers;

    public RwkvModel(ModelConfig config, TaskSpec spec) : base(nameof(RwkvModel), config, spec,
        () => Enumerable.Range(0, config.NumLayers).Select(i => new RwkvBlock(config.DModel, i, config.NumLayers, config.Rwkv.ScanChunk, config.Dropout)),
        () => nn.LayerNorm(config.DModel))
    {
        dim = config.DModel;
        numLayers = config.NumLayers;
    }

    /// <summary>
    /// Every weight runs for every token. The WKV recurrence per channel: e^(u+k), two products and
    /// sums for numerator and denominator, a division, and the decayed state updates: 12 operations.
    /// </summary>
    public override FlopEstimate EstimateFlops(long seqLen) => new(DenseFlops(), numLayers * 12.0 * DModel, FlopFormula);

    protected override Tensor RunBlock(RwkvBlock block, Tensor x, Tensor? paddingMask) => block.forward(x);

    protected override RwkvBlockState InitialBlockState(RwkvBlock block, long batchSize, Device device) => RwkvBlockState.Empty(batchSize, dim, device);

    protected override RwkvBlockState ReadBlockState(LayerTensors tensors) => RwkvBlockState.From(tensors);

    protected override (Tensor Output, RwkvBlockState State) StepBlock(RwkvBlock block, Tensor x, RwkvBlockState state) => block.Forward(x, state);

    protected override void CheckStreamable() => BaselineChecks.Streamable(Spec, "rwkv");
}
