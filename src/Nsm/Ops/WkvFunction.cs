using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// <see cref="WkvKernel"/> as an autograd function over (w, u, k, v, num, den, max): the forward
/// keeps only its inputs, O(B T C) memory, and the backward returns the gradient of every input.
/// Outputs y (B, T, C) and the final num, den, max (B, C); max is marked non-differentiable, as the
/// reference detaches it. The channels are padded here to the kernel's vector width.
/// </summary>
internal sealed class WkvFunction : torch.autograd.MultiTensorFunction<WkvFunction>
{
    public override string Name => nameof(WkvFunction);

    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var inputs = vars.Cast<Tensor>().ToList();       // w, u, k, v, num, den, max
        ctx.save_for_backward(inputs);
        // As in SelectiveScanFunction: missing gradients are zeros, without reading freed outputs.
        ctx.set_materialize_grads(false);
        using var scope = NewDisposeScope();
        var outputs = (inputs[2].dtype == ScalarType.Float64 ? Forward<double>(inputs) : Forward<float>(inputs))
            .Select(t => t.MoveToOuterDisposeScope()).ToList();
        ctx.mark_non_differentiable([outputs[3]]);
        return outputs;
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grads)
    {
        using var scope = NewDisposeScope();
        var inputs = ctx.get_saved_variables();
        var result = inputs[2].dtype == ScalarType.Float64 ? Backward<double>(inputs, grads) : Backward<float>(inputs, grads);
        return result.Select(t => t.MoveToOuterDisposeScope()).ToList();
    }

    private static bool Defined(List<Tensor> grads, int i) => i < grads.Count && grads[i] is { IsInvalid: false };

    private static WkvKernel.Dims Padded<T>(List<Tensor> x) where T : unmanaged
    {
        var width = Vector<T>.Count;
        var channels = (int)((x[2].shape[2] + width - 1) / width * width);
        return new((int)x[2].shape[0], (int)x[2].shape[1], channels);
    }

    private static int Workers<T>(WkvKernel.Dims s) where T : unmanaged => Math.Clamp(torch.get_num_threads(), 1, Math.Max(1, s.Blocks<T>()));

    private static Tensor Padded(Tensor x, int channels) => ChannelPadding.Pad(x, channels);

    private static Tensor Unpad(Tensor x, long channels) => ChannelPadding.Unpad(x, channels).contiguous();

    /// <summary>The kernel's view of a contiguous tensor's memory.</summary>
    private static Memory<T> Of<T>(Tensor x) where T : unmanaged => TensorMemory<T>.Of(x);

    private static List<Tensor> Forward<T>(List<Tensor> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = Padded<T>(x);
        var (c, cp, dtype) = (x[2].shape[2], s.Channels, x[2].dtype);
        var y = empty([s.Batch, s.Length, cp], dtype: dtype);
        var (a, b, p) = (empty([s.Batch, cp], dtype: dtype), empty([s.Batch, cp], dtype: dtype), empty([s.Batch, cp], dtype: dtype));
        WkvKernel.Forward<T>(s, Of<T>(Padded(x[0], cp)), Of<T>(Padded(x[1], cp)), Of<T>(Padded(x[2], cp)), Of<T>(Padded(x[3], cp)),
            Of<T>(Padded(x[4], cp)), Of<T>(Padded(x[5], cp)), Of<T>(Padded(x[6], cp)), Of<T>(y), Of<T>(a), Of<T>(b), Of<T>(p), Workers<T>(s));
        return [Unpad(y, c), Unpad(a, c), Unpad(b, c), Unpad(p, c)];
    }

    private static List<Tensor> Backward<T>(List<Tensor> x, List<Tensor> grads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = Padded<T>(x);
        var (c, cp, dtype) = (x[2].shape[2], s.Channels, x[2].dtype);
        long[] sequence = [s.Batch, s.Length, cp], state = [s.Batch, cp];
        var (gw, gu) = (empty([cp], dtype: dtype), empty([cp], dtype: dtype));
        var (gk, gv) = (empty(sequence, dtype: dtype), empty(sequence, dtype: dtype));
        var (ga, gb, gp) = (empty(state, dtype: dtype), empty(state, dtype: dtype), empty(state, dtype: dtype));
        var gy = Defined(grads, 0) ? Padded(grads[0], cp) : zeros(sequence, dtype: dtype);
        var gaLast = Defined(grads, 1) ? Padded(grads[1], cp) : zeros(state, dtype: dtype);
        var gbLast = Defined(grads, 2) ? Padded(grads[2], cp) : zeros(state, dtype: dtype);
        WkvKernel.Backward<T>(s, Of<T>(Padded(x[0], cp)), Of<T>(Padded(x[1], cp)), Of<T>(Padded(x[2], cp)), Of<T>(Padded(x[3], cp)),
            Of<T>(Padded(x[4], cp)), Of<T>(Padded(x[5], cp)), Of<T>(Padded(x[6], cp)), Of<T>(gy), Of<T>(gaLast), Of<T>(gbLast),
            Of<T>(gw), Of<T>(gu), Of<T>(gk), Of<T>(gv), Of<T>(ga), Of<T>(gb), Of<T>(gp), Workers<T>(s));
        return [Unpad(gw, c), Unpad(gu, c), Unpad(gk, c), Unpad(gv, c), Unpad(ga, c), Unpad(gb, c), Unpad(gp, c)];
    }
}
