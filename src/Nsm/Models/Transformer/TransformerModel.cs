using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Modules;

namespace Nsm.Models.Transformer;

/// <summary>
/// Decoder-only (or, for non-causal tasks, encoder) Transformer baseline: token embedding,
/// pre-norm blocks with rotary full attention and SwiGLU, final RMSNorm, tied output head.
/// Streams with a key/value cache that grows with the context (O(N) memory per token).
/// </summary>
public sealed class TransformerModel : StackedModel<TransformerBlock, TransformerLayerState>
{
    /// <summary>The FLOP formula of <see cref="EstimateFlops"/>, in words.</summary>
    public const string FlopFormula = "dense + L·4d·keys; keys = (N+1)/2 causal, N bidirectional";

    private readonly int numLayers;

    public TransformerModel(ModelConfig config, TaskSpec spec) : base(nameof(TransformerModel), config, spec,
        () => Enumerable.Range(0, config.NumLayers).Select(_ => new TransformerBlock(
            config.DModel, config.NumHeads, SwiGlu.HiddenWidth(config.DModel, config.FfnMult), spec.Causal, config.RopeBase, config.Dropout)),
        () => new RmsNorm(config.DModel))
    {
        numLayers = config.NumLayers;
    }

    /// <summary>
    /// Every weight runs for every token. Scores q.k cost 2 hd per key and head = 2 d per key; the
    /// value sum another 2 d per key. A causal query at position t sees t+1 keys, (N+1)/2 on average.
    /// </summary>
    public override FlopEstimate EstimateFlops(long seqLen) =>
        new(DenseFlops(), numLayers * 4.0 * DModel * (Spec.Causal ? (seqLen + 1) / 2.0 : seqLen), FlopFormula);

    /// <summary>
    /// One eval-mode pass without gradients that also returns every layer's attention weights
    /// (B, h, N, N), bottom layer first; the output equals forward's in eval mode and the model is
    /// left as it was.
    /// </summary>
    public (Tensor Output, IReadOnlyList<Tensor> Attention) InspectAttention(Tensor input, Tensor? paddingMask = null)
    {
        var wasTraining = training;
        var recorded = Blocks.Select(_ => new List<Tensor>()).ToList();
        try
        {
            eval();
            using var noGrad = no_grad();
            for (var i = 0; i < recorded.Count; i++) Blocks[i].Attention.RecordedWeights = recorded[i];
            var output = forward(input, paddingMask);
            return (output, recorded.Select(r => r.Single()).ToList());
        }
        finally
        {
            foreach (var block in Blocks) block.Attention.RecordedWeights = null;
            train(wasTraining);
        }
    }

    protected override Tensor RunBlock(TransformerBlock block, Tensor x, Tensor? paddingMask) => block.forward(x, paddingMask);

    protected override TransformerLayerState InitialBlockState(TransformerBlock block, long batchSize, Device device)
    {
        var (k, v) = block.Attention.EmptyCache(batchSize, device);
        return new TransformerLayerState(k, v, 0);
    }

    protected override TransformerLayerState ReadBlockState(LayerTensors tensors) => TransformerLayerState.From(tensors);

    protected override (Tensor Output, TransformerLayerState State) StepBlock(TransformerBlock block, Tensor x, TransformerLayerState state)
    {
        var (y, k, v) = block.Forward(x, state.Keys, state.Values, state.Position);
        return (y, new TransformerLayerState(k, v, state.Position + x.shape[1]));
    }

    protected override void CheckStreamable()
    {
        if (!Spec.Causal || Spec.Output != TaskOutput.PerToken) throw new InvalidOperationException("streaming needs a causal per-token model");
    }
}
