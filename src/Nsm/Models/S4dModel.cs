using TorchSharp;
using TorchSharp.Modules;
using Nsm.Config;
using Nsm.Layers;
using static TorchSharp.torch;

namespace Nsm.Models;

/// <summary>
/// S4D baseline (Gu et al. 2022): embedding, pre-norm residual S4D blocks (diagonal SSM by FFT
/// convolution, GELU, Linear+GLU), final LayerNorm, output head. Causal by construction; streams
/// with one (B, H, N/2) complex state per layer, constant in the sequence length.
/// </summary>
public sealed class S4dModel : SequenceModel, IStreamingModel
{
    /// <summary>State size N when model.state_size is 0 (the paper's default).</summary>
    public const int DefaultStateSize = 64;

    private readonly InputEmbedding embed;
    private readonly ModuleList<S4dBlock> layers;
    private readonly LayerNorm norm_f;
    private readonly OutputHead head;

    public S4dModel(ModelConfig config, TaskSpec spec) : base(nameof(S4dModel), spec)
    {
        BaselineChecks.DtRange(config);
        var stateSize = config.StateSize > 0 ? config.StateSize : DefaultStateSize;
        embed = new InputEmbedding(spec, config.DModel);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumLayers)
            .Select(_ => new S4dBlock(config.DModel, stateSize, config.S4dInit, config.DtMin, config.DtMax, config.Dropout)).ToArray());
        norm_f = nn.LayerNorm(config.DModel);
        head = new OutputHead(spec, config.DModel, embed, config.TieEmbeddings);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var x = embed.forward(input);                    // (B, N, d)
        foreach (var layer in layers) x = layer.forward(x);
        // Causal convolutions: right padding never reaches real positions; the head's masked mean drops it.
        return head.forward(norm_f.forward(x), paddingMask).MoveToOuterDisposeScope();
    }

    public ModelState InitialState(long batchSize)
    {
        var device = norm_f.parameters().First().device;
        var tensors = new Dictionary<string, Tensor>();
        for (var i = 0; i < layers.Count; i++) tensors[$"layers.{i}.ssm"] = layers[i].Layer.EmptyState(batchSize, device);
        return new ModelState(tensors, 0);
    }

    public (Tensor Output, ModelState State) Forward(Tensor input, ModelState state)
    {
        BaselineChecks.Streamable(Spec, "s4d");
        using var scope = NewDisposeScope();
        var x = embed.forward(input);
        var next = new Dictionary<string, Tensor>();
        for (var i = 0; i < layers.Count; i++)
        {
            var (y, ssm) = layers[i].Step(x, state[$"layers.{i}.ssm"]);
            x = y;
            next[$"layers.{i}.ssm"] = ssm;
        }
        var logits = head.PerToken(norm_f.forward(x));
        var newState = new ModelState(next, state.Position + input.shape[1]).MoveToOuterDisposeScope();
        return (logits.MoveToOuterDisposeScope(), newState);
    }
}
