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
/// streamed block by block with a typed state per block (saved as <c>layers.{i}.{name}</c>).
/// Subclasses say how one block runs a sequence, which state it starts from, how it reads a state
/// back from names and how it steps.
/// Parameters are created in the order embedding, blocks, final norm, head, so a seed gives the
/// same initial weights as before this base existed.
/// </summary>
/// <typeparam name="TBlock">The residual block type.</typeparam>
/// <typeparam name="TState">What one block carries between calls.</typeparam>
public abstract class StackedModel<TBlock, TState> : SequenceModel, IStreamingModel where TBlock : nn.Module where TState : class, ILayerState
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

    /// <summary>A block's state before any token.</summary>
    protected abstract TState InitialBlockState(TBlock block, long batchSize, Device device);

    /// <summary>A block's state from its named tensors (a loaded state); fails naming a missing tensor.</summary>
    protected abstract TState ReadBlockState(LayerTensors tensors);

    /// <summary>A block over new tokens x (B, n, d) after its state: (B, n, d) and its new state.</summary>
    protected abstract (Tensor Output, TState State) StepBlock(TBlock block, Tensor x, TState state);

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
        return ModelState.FromLayers(layers.Select(block => InitialBlockState(block, batchSize, device)), 0);
    }

    public (Tensor Output, ModelState State) Forward(Tensor input, ModelState state)
    {
        CheckStreamable();
        using var scope = NewDisposeScope();
        var x = embed.forward(input);
        var next = new List<ILayerState>(layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            (x, var blockState) = StepBlock(layers[i], x, state.Layer(i, ReadBlockState));
            next.Add(blockState);
        }
        var logits = head.PerToken(norm_f.forward(x));
        var newState = ModelState.FromLayers(next, state.Position + input.shape[1]).MoveToOuterDisposeScope();
        return (logits.MoveToOuterDisposeScope(), newState);
    }
}
