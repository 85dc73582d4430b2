using TorchSharp;
using TorchSharp.Modules;
using Nsm.Config;
using Nsm.Layers;
using static TorchSharp.torch;

namespace Nsm.Models;

/// <summary>
/// Decoder-only (or, for non-causal tasks, encoder) Transformer baseline: token embedding,
/// pre-norm blocks with rotary full attention and SwiGLU, final RMSNorm, tied output head.
/// Streams with a key/value cache that grows with the context (O(N) memory per token).
/// </summary>
public sealed class TransformerModel : SequenceModel, IStreamingModel
{
    private readonly InputEmbedding embed;
    private readonly ModuleList<TransformerBlock> layers;
    private readonly RmsNorm norm_f;
    private readonly OutputHead head;

    public TransformerModel(ModelConfig config, TaskSpec spec) : base(nameof(TransformerModel), spec)
    {
        embed = new InputEmbedding(spec, config.DModel);
        var hidden = SwiGlu.HiddenWidth(config.DModel, config.FfnMult);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumLayers)
            .Select(_ => new TransformerBlock(config.DModel, config.NumHeads, hidden, spec.Causal, config.RopeBase, config.Dropout)).ToArray());
        norm_f = new RmsNorm(config.DModel);
        head = new OutputHead(spec, config.DModel, embed, config.TieEmbeddings);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var x = embed.forward(input);                    // (B, N, d)
        foreach (var layer in layers) x = layer.forward(x, paddingMask);
        return head.forward(norm_f.forward(x), paddingMask).MoveToOuterDisposeScope();
    }

    public ModelState InitialState(long batchSize)
    {
        var device = norm_f.parameters().First().device;
        var tensors = new Dictionary<string, Tensor>();
        for (var i = 0; i < layers.Count; i++)
        {
            var (k, v) = layers[i].Attention.EmptyCache(batchSize, device);
            tensors[$"layers.{i}.keys"] = k;
            tensors[$"layers.{i}.values"] = v;
        }
        return new ModelState(tensors, 0);
    }

    public (Tensor Output, ModelState State) Forward(Tensor input, ModelState state)
    {
        if (!Spec.Causal || Spec.Output != TaskOutput.PerToken) throw new InvalidOperationException("streaming needs a causal per-token model");
        using var scope = NewDisposeScope();
        var x = embed.forward(input);
        var next = new Dictionary<string, Tensor>();
        for (var i = 0; i < layers.Count; i++)
        {
            var (y, k, v) = layers[i].Step(x, state[$"layers.{i}.keys"], state[$"layers.{i}.values"], state.Position);
            x = y;
            next[$"layers.{i}.keys"] = k;
            next[$"layers.{i}.values"] = v;
        }
        var logits = head.PerToken(norm_f.forward(x));
        var newState = new ModelState(next, state.Position + input.shape[1]).MoveToOuterDisposeScope();
        return (logits.MoveToOuterDisposeScope(), newState);
    }
}
