using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Modules;

namespace Nsm.Models.Gru;

/// <summary>
/// Multi-layer GRU baseline (Cho et al. 2014; compared with the LSTM by Chung et al. 2014), in the
/// LSTM baseline's layout: embedding, dropout, a stacked GRU of width d_model (the parameters of
/// TorchSharp's native GRU module, dropout between layers; on the CPU run by
/// <see cref="GruLayers.Fused"/>, elsewhere by the native module), dropout, output head (tied to
/// the embedding by default).
/// Streams with the hidden state h of every layer, (L, B, d).
/// </summary>
public sealed class GruModel : SequenceModel, IStreamingModel
{
    /// <summary>The FLOP formula of <see cref="EstimateFlops"/>, in words.</summary>
    public const string FlopFormula = "dense (input and recurrent gate matrices, 12d² per layer)";

    private readonly InputEmbedding embed;
    private readonly GRU gru;
    private readonly Dropout dropout;
    private readonly OutputHead head;
    private readonly long dim;
    private readonly long numLayers;
    private readonly double layerDropout;

    public GruModel(ModelConfig config, TaskSpec spec) : base(nameof(GruModel), spec, config.DModel)
    {
        dim = config.DModel;
        numLayers = config.NumLayers;
        layerDropout = config.Dropout;
        embed = new InputEmbedding(spec, dim, config.InputStem, config.StemChannels);
        // PyTorch's default init (uniform ±1/√d) for every weight and bias: the GRU has no
        // forget gate whose bias the papers set apart.
        gru = nn.GRU(dim, dim, numLayers, batchFirst: true, dropout: config.Dropout);
        dropout = nn.Dropout(config.Dropout);
        head = new OutputHead(spec, dim, embed, config.TieEmbeddings);
        RegisterComponents();
    }

    /// <summary>weight_ih and weight_hh (3d x d each) are applied at every step: all dense, no mixing term.</summary>
    public override FlopEstimate EstimateFlops(long seqLen) => new(DenseFlops(), 0, FlopFormula);

    public override Tensor forward(Tensor input, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var x = dropout.forward(embed.forward(input));   // (B, N, d)
        var (y, _) = Recur(x, null);                     // (B, N, d)
        // Unidirectional: right padding never reaches real positions; the head's masked mean drops it.
        return head.forward(dropout.forward(y), paddingMask).MoveToOuterDisposeScope();
    }

    /// <summary>The stacked GRU over x (B, N, d) from h0 (L, B, d) or zeros: y (B, N, d) and h (L, B, d).</summary>
    private (Tensor Y, Tensor H) Recur(Tensor x, Tensor? h0) =>
        x.shape[1] > 0 && GruLayers.PrefersFused(x)
            ? GruLayers.Fused(gru, x, h0, numLayers, dim, layerDropout, training)
            : GruLayers.Native(gru, x, h0);

    public ModelState InitialState(long batchSize)
    {
        var device = gru.parameters().First().device;
        return ModelState.FromStack(new GruStackState(zeros([numLayers, batchSize, dim], device: device)), 0);
    }

    public (Tensor Output, ModelState State) Forward(Tensor input, ModelState state)
    {
        BaselineChecks.Streamable(Spec, "gru");
        using var scope = NewDisposeScope();
        var x = dropout.forward(embed.forward(input));
        var (y, h) = Recur(x, state.Stack(GruStackState.From).H);
        var logits = head.PerToken(dropout.forward(y));
        var newState = ModelState.FromStack(new GruStackState(h), state.Position + input.shape[1]).MoveToOuterDisposeScope();
        return (logits.MoveToOuterDisposeScope(), newState);
    }
}
