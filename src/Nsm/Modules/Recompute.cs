using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Modules;

/// <summary>
/// Activation checkpointing for one layer: the forward runs the layer without recording its
/// graph and keeps only its input (and mask); the backward runs it again with the graph and
/// back-propagates through that, so a layer's intermediates live only while its own gradient is
/// computed. The random number generator is put back to its state at the forward for the rerun,
/// so dropout draws the same masks. Gradients equal the plain layer's (RecomputeTests).
/// </summary>
internal static class Recompute
{
    /// <summary>
    /// run(x, mask, rerun) over x (B, N, d) with the layer's parameters, recomputed in the backward
    /// pass; mask: (B, N) or null, passed to run unchanged; rerun: true for the backward's rerun
    /// (where a layer skips its side effects, such as recording slot usage, done once already).
    /// Returns run's output; without gradients (no_grad, or nothing requiring them) it is simply run(x, mask, false).
    /// </summary>
    public static Tensor Run(Func<Tensor, Tensor?, bool, Tensor> run, Tensor x, Tensor? mask, IEnumerable<Parameter> parameters)
    {
        var trainable = parameters.Where(p => p.requires_grad).Cast<Tensor>().ToList();
        if (!is_grad_enabled() || (!x.requires_grad && trainable.Count == 0)) return run(x, mask, false);
        object[] vars = [new Layer(run, mask is not null), x, .. (mask is null ? [] : new object[] { mask }), .. trainable];
        return RecomputeFunction.apply(vars)[0];
    }

    /// <summary>What the function reruns, and whether a mask follows the input among its tensors.</summary>
    internal sealed record Layer(Func<Tensor, Tensor?, bool, Tensor> Run, bool HasMask);
}

/// <summary>The autograd function behind <see cref="Recompute.Run"/>: inputs (layer, x, [mask], parameters...), output y.</summary>
internal sealed class RecomputeFunction : torch.autograd.MultiTensorFunction<RecomputeFunction>
{
    public override string Name => nameof(RecomputeFunction);

    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var layer = (Recompute.Layer)vars[0];
        var x = (Tensor)vars[1];
        var mask = layer.HasMask ? (Tensor)vars[2] : null;
        var parameters = vars.Skip(layer.HasMask ? 3 : 2).Cast<Tensor>().ToList();
        ctx.save_data("layer", layer);
        ctx.save_data("parameters", parameters);
        using (var rng = get_rng_state()) ctx.save_data("rng", rng.data<byte>().ToArray());
        ctx.save_for_backward(mask is null ? [x] : [x, mask]);
        return [layer.Run(x, mask, false)];
    }

    private static Tensor? Defined(Tensor? grad) => grad is { IsInvalid: false } ? grad : null;

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grads)
    {
        var layer = (Recompute.Layer)ctx.get_data("layer");
        var parameters = (List<Tensor>)ctx.get_data("parameters");
        var saved = ctx.get_saved_variables();
        using var scope = NewDisposeScope();
        using var current = get_rng_state();
        set_rng_state(tensor((byte[])ctx.get_data("rng")));
        List<Tensor> inputGrads;
        try
        {
            using var withGrad = enable_grad();
            var x = saved[0].detach().requires_grad_(true);
            var y = layer.Run(x, layer.HasMask ? saved[1] : null, true);
            inputGrads = torch.autograd.grad([y], [x, .. parameters], [grads[0]], allow_unused: true).ToList();
        }
        finally
        {
            set_rng_state(current);
        }
        // One entry per forward argument: none for the layer (not a tensor) and the mask, none for a parameter the layer did not use.
        var all = new List<Tensor?> { null, Defined(inputGrads[0]) };
        if (layer.HasMask) all.Add(null);
        all.AddRange(inputGrads.Skip(1).Select(Defined));
        return all.Select(g => g?.MoveToOuterDisposeScope()).ToList()!;
    }
}
