using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Modules;

namespace Nsm.Models.Lstm;

/// <summary>
/// Multi-layer LSTM baseline (Hochreiter &amp; Schmidhuber 1997; the language-model layout of
/// Zaremba et al. 2014): embedding, dropout, a stacked LSTM of width d_model (TorchSharp's native
/// libtorch LSTM, dropout between layers), dropout, output head (tied to the embedding by default,
/// Press &amp; Wolf 2017). Streams with the (h, c) state of every layer, (L, B, d) each.
/// </summary>
public sealed class LstmModel : SequenceModel, IStreamingModel
{
    /// <summary>The FLOP formula of <see cref="EstimateFlops"/>, in words.</summary>
    public const string FlopFormula = "dense (input and recurrent gate matrices, 16d² per layer)";

    private readonly InputEmbedding embed;
    private readonly LSTM lstm;
    private readonly Dropout dropout;
    private readonly OutputHead head;
    private readonly long dim;
    private readonly long numLayers;

    public LstmModel(ModelConfig config, TaskSpec spec) : base(nameof(LstmModel), spec, config.DModel)
    {
        dim = config.DModel;
        numLayers = config.NumLayers;
        embed = new InputEmbedding(spec, dim, config.InputStem, config.StemChannels);
        lstm = nn.LSTM(dim, dim, numLayers, batchFirst: true, dropout: config.Dropout);
        dropout = nn.Dropout(config.Dropout);
        head = new OutputHead(spec, dim, embed, config.TieEmbeddings);
        using (no_grad())
        {
            // Forget-gate bias 1 (Gers et al. 2000; Jozefowicz et al. 2015) so the cell starts by
            // remembering; PyTorch's gate order is input, forget, cell, output.
            foreach (var (name, p) in lstm.named_parameters())
                if (name.StartsWith("bias_ih", StringComparison.Ordinal)) p.narrow(0, dim, dim).fill_(1.0);
        }
        RegisterComponents();
    }

    /// <summary>weight_ih and weight_hh (4d x d each) are applied at every step: all dense, no mixing term.</summary>
    public override FlopEstimate EstimateFlops(long seqLen) => new(DenseFlops(), 0, FlopFormula);

    public override Tensor forward(Tensor input, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var x = dropout.forward(embed.forward(input));   // (B, N, d)
        var (y, _, _) = lstm.forward(x);                 // (B, N, d)
        // Unidirectional: right padding never reaches real positions; the head's masked mean drops it.
        return head.forward(dropout.forward(y), paddingMask).MoveToOuterDisposeScope();
    }

    public ModelState InitialState(long batchSize)
    {
        var device = lstm.parameters().First().device;
        return ModelState.FromStack(new LstmStackState(zeros([numLayers, batchSize, dim], device: device), zeros([numLayers, batchSize, dim], device: device)), 0);
    }

    public (Tensor Output, ModelState State) Forward(Tensor input, ModelState state)
    {
        BaselineChecks.Streamable(Spec, "lstm");
        using var scope = NewDisposeScope();
        var x = dropout.forward(embed.forward(input));
        var carried = state.Stack(LstmStackState.From);
        var (y, h, c) = lstm.forward(x, (carried.H, carried.C));
        var logits = head.PerToken(dropout.forward(y));
        var newState = ModelState.FromStack(new LstmStackState(h, c), state.Position + input.shape[1]).MoveToOuterDisposeScope();
        return (logits.MoveToOuterDisposeScope(), newState);
    }
}
