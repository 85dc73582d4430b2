using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Modules;

namespace Nsm.Models;

/// <summary>
/// The common shape of the baselines: input embedding, a stack of residual blocks, a final norm
/// and the output head (tied to the embedding by default), trained on whole sequences and
/// streamed block by block with per-layer state tensors named <c>layers.{i}.{name}</c>.
/// Subclasses say how one block runs a sequence, which state it starts from and how it steps.
/// Parameters are created in the order embedding, blocks, final norm, head, so a seed gives the
/// same initial weights as before this base existed.
/// </summary>
/// <typeparam name="TBlock">The residual block type.</typeparam>
public abstract class StackedModel<TBlock> : SequenceModel, IStreamingModel where TBlock : nn.Module
{
    private readonly InputEmbedding embed;
    private readonly ModuleList<TBlock> layers;
    private readonly nn.Module<Tensor, Tensor> norm_f;
    private readonly OutputHead head;

    /// <param name="name">Module name.</param>
    /// <param name="config">Width and head tying.</param>
    /// <param name="spec">Task shape.</param>
    /// <param name="blocks">Builds the blocks (called after the embedding is made).</param>
    /// <param name="finalNorm">Builds the final norm (called after the blocks).</param>
    protected StackedModel(string name, ModelConfig config, TaskSpec spec, Func<IEnumerable<TBlock>> blocks, Func<nn.Module<Tensor, Tensor>> finalNorm)
        : base(name, spec, config.DModel)
    {
        embed = new InputEmbedding(spec, config.DModel, config.InputStem, config.StemChannels);
        layers = nn.ModuleList(blocks().ToArray());
        norm_f = finalNorm();
        head = new OutputHead(spec, config.DModel, embed, config.TieEmbeddings);
        RegisterComponents();
    }

    /// <summary>The blocks, bottom first.</summary>
    protected IReadOnlyList<TBlock> Blocks => layers.ToList();

    /// <summary>One block over a whole sequence: x (B, N, d), padding mask (B, N) or null -> (B, N, d).</summary>
    protected abstract Tensor RunBlock(TBlock block, Tensor x, Tensor? paddingMask);

    /// <summary>The state tensors of block i before any token, added to tensors as <c>layers.{i}.{name}</c>.</summary>
    protected abstract void AddInitialState(TBlock block, int i, long batchSize, Device device, IDictionary<string, Tensor> tensors);

    /// <summary>Block i over new tokens x (B, n, d) after its state in state; writes its new state to next; returns (B, n, d).</summary>
    protected abstract Tensor StepBlock(TBlock block, int i, Tensor x, ModelState state, IDictionary<string, Tensor> next);

    /// <summary>Throws when this model, as built, cannot stream (e.g. a non-causal task).</summary>
    protected abstract void CheckStreamable();

    public override Tensor forward(Tensor input, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var x = embed.forward(input);                    // (B, N, d)
        foreach (var block in layers) x = RunBlock(block, x, paddingMask);
        return head.forward(norm_f.forward(x), paddingMask).MoveToOuterDisposeScope();
    }

    public ModelState InitialState(long batchSize)
    {
        var device = norm_f.parameters().First().device;
        var tensors = new Dictionary<string, Tensor>();
        for (var i = 0; i < layers.Count; i++) AddInitialState(layers[i], i, batchSize, device, tensors);
        return new ModelState(tensors, 0);
    }

    public (Tensor Output, ModelState State) Forward(Tensor input, ModelState state)
    {
        CheckStreamable();
        using var scope = NewDisposeScope();
        var x = embed.forward(input);
        var next = new Dictionary<string, Tensor>();
        for (var i = 0; i < layers.Count; i++) x = StepBlock(layers[i], i, x, state, next);
        var logits = head.PerToken(norm_f.forward(x));
        var newState = new ModelState(next, state.Position + input.shape[1]).MoveToOuterDisposeScope();
        return (logits.MoveToOuterDisposeScope(), newState);
    }
}
