using TorchSharp;
using TorchSharp.Modules;
using Nsm.Config;
using Nsm.Layers;
using static TorchSharp.torch;

namespace Nsm.Models;

/// <summary>
/// Mamba-1 baseline (Gu &amp; Dao 2023): embedding, pre-norm residual Mamba blocks (selective SSM
/// with a short causal convolution and SiLU gating; no attention, no MLP), final RMSNorm, output
/// head tied to the embedding by default. Trains with a chunked scan; streams with a constant-size
/// state per layer: the last kernel-1 convolution inputs and the (B, E, N) SSM state.
/// </summary>
public sealed class MambaModel : SequenceModel, IStreamingModel
{
    /// <summary>State size N when model.state_size is 0 (the paper's default d_state).</summary>
    public const int DefaultStateSize = 16;

    private readonly InputEmbedding embed;
    private readonly ModuleList<MambaBlock> layers;
    private readonly RmsNorm norm_f;
    private readonly OutputHead head;

    public MambaModel(ModelConfig config, TaskSpec spec) : base(nameof(MambaModel), spec)
    {
        BaselineChecks.DtRange(config);
        var stateSize = config.StateSize > 0 ? config.StateSize : DefaultStateSize;
        embed = new InputEmbedding(spec, config.DModel);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumLayers)
            .Select(_ => new MambaBlock(
                new MambaMixer(config.DModel, stateSize, config.ConvKernel, config.Expand, config.DtRank, config.DtMin, config.DtMax, config.NumLayers, config.ScanChunk),
                config.DModel, config.Dropout)).ToArray());
        norm_f = new RmsNorm(config.DModel, eps: 1e-5);
        head = new OutputHead(spec, config.DModel, embed, config.TieEmbeddings);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var x = embed.forward(input);                    // (B, N, d)
        foreach (var layer in layers) x = layer.forward(x);
        // Causal: right padding never reaches real positions; the head's masked mean drops it.
        return head.forward(norm_f.forward(x), paddingMask).MoveToOuterDisposeScope();
    }

    public ModelState InitialState(long batchSize)
    {
        var device = norm_f.parameters().First().device;
        var tensors = new Dictionary<string, Tensor>();
        for (var i = 0; i < layers.Count; i++)
        {
            var (conv, ssm) = layers[i].Mixer.EmptyState(batchSize, device);
            tensors[$"layers.{i}.conv"] = conv;
            tensors[$"layers.{i}.ssm"] = ssm;
        }
        return new ModelState(tensors, 0);
    }

    public (Tensor Output, ModelState State) Forward(Tensor input, ModelState state)
    {
        BaselineChecks.Streamable(Spec, "mamba");
        using var scope = NewDisposeScope();
        var x = embed.forward(input);
        var next = new Dictionary<string, Tensor>();
        for (var i = 0; i < layers.Count; i++)
        {
            var (y, conv, ssm) = layers[i].Step(x, state[$"layers.{i}.conv"], state[$"layers.{i}.ssm"]);
            x = y;
            next[$"layers.{i}.conv"] = conv;
            next[$"layers.{i}.ssm"] = ssm;
        }
        var logits = head.PerToken(norm_f.forward(x));
        var newState = new ModelState(next, state.Position + input.shape[1]).MoveToOuterDisposeScope();
        return (logits.MoveToOuterDisposeScope(), newState);
    }
}
