using TorchSharp;
using TorchSharp.Modules;
using Nsm.Config;
using Nsm.Layers;
using static TorchSharp.torch;

namespace Nsm.Models;

/// <summary>
/// RWKV-4 baseline (Peng et al. 2023): embedding, RWKV blocks (token-shift time mixing with the
/// decayed WKV recurrence, token-shift channel mixing), final LayerNorm, output head. Causal;
/// trains with the chunked WKV and streams as an RNN with five (B, C) tensors per layer.
/// </summary>
public sealed class RwkvModel : SequenceModel, IStreamingModel
{
    private readonly InputEmbedding embed;
    private readonly ModuleList<RwkvBlock> layers;
    private readonly LayerNorm ln_out;
    private readonly OutputHead head;
    private readonly long dim;

    public RwkvModel(ModelConfig config, TaskSpec spec) : base(nameof(RwkvModel), spec)
    {
        dim = config.DModel;
        embed = new InputEmbedding(spec, config.DModel);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumLayers)
            .Select(i => new RwkvBlock(config.DModel, i, config.NumLayers, config.ScanChunk, config.Dropout)).ToArray());
        ln_out = nn.LayerNorm(config.DModel);
        head = new OutputHead(spec, config.DModel, embed, config.TieEmbeddings);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var x = embed.forward(input);                    // (B, N, C)
        foreach (var layer in layers) x = layer.forward(x);
        // Causal: right padding never reaches real positions; the head's masked mean drops it.
        return head.forward(ln_out.forward(x), paddingMask).MoveToOuterDisposeScope();
    }

    public ModelState InitialState(long batchSize)
    {
        var device = ln_out.parameters().First().device;
        var tensors = new Dictionary<string, Tensor>();
        for (var i = 0; i < layers.Count; i++) RwkvBlockState.Empty(batchSize, dim, device).To(tensors, i);
        return new ModelState(tensors, 0);
    }

    public (Tensor Output, ModelState State) Forward(Tensor input, ModelState state)
    {
        BaselineChecks.Streamable(Spec, "rwkv");
        using var scope = NewDisposeScope();
        var x = embed.forward(input);
        var next = new Dictionary<string, Tensor>();
        for (var i = 0; i < layers.Count; i++)
        {
            var (y, blockState) = layers[i].Step(x, RwkvBlockState.From(state.Tensors, i));
            x = y;
            blockState.To(next, i);
        }
        var logits = head.PerToken(ln_out.forward(x));
        var newState = new ModelState(next, state.Position + input.shape[1]).MoveToOuterDisposeScope();
        return (logits.MoveToOuterDisposeScope(), newState);
    }
}
