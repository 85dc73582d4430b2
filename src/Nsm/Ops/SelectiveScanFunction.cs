using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// <see cref="SelectiveScanKernel"/> as an autograd function: the forward keeps only its inputs
/// (O(B L D) memory instead of the (B, L, D, N) states a graph of tensor operations would hold) and
/// the backward returns the gradients of u, delta, a, bm, cm and h0. Shapes as in
/// <see cref="SelectiveScan"/>; the channels are padded here to the kernel's vector width.
/// </summary>
internal sealed class SelectiveScanFunction : torch.autograd.MultiTensorFunction<SelectiveScanFunction>
{
    public override string Name => nameof(SelectiveScanFunction);

    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var inputs = vars.Cast<Tensor>().ToList();       // u, delta, a, bm, cm, h0
        ctx.save_for_backward(inputs);
        // Materialising a missing gradient would read the output tensors, which the caller's
        // dispose scope may already have freed (training drops the final state): the backward
        // treats a missing gradient as zeros itself.
        ctx.set_materialize_grads(false);
        using var scope = NewDisposeScope();
        var outputs = inputs[0].dtype == ScalarType.Float64 ? Forward<double>(inputs) : Forward<float>(inputs);
        return outputs.Select(t => t.MoveToOuterDisposeScope()).ToList();
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grads)
    {
        using var scope = NewDisposeScope();
        var inputs = ctx.get_saved_variables();
        var result = inputs[0].dtype == ScalarType.Float64 ? Backward<double>(inputs, grads) : Backward<float>(inputs, grads);
        return result.Select(t => t.MoveToOuterDisposeScope()).ToList();
    }

    /// <summary>Whether the output's gradient exists (an output that reaches no loss has none).</summary>
    private static bool Defined(List<Tensor> grads, int i) => i < grads.Count && grads[i] is { IsInvalid: false };

    /// <summary>Sizes with D rounded up to the vector width.</summary>
    private static SelectiveScanKernel.Dims Padded<T>(List<Tensor> x) where T : unmanaged
    {
        var width = SelectiveScanKernel.Dims.Width<T>();
        var channels = (int)((x[0].shape[2] + width - 1) / width * width);
        return new((int)x[0].shape[0], (int)x[0].shape[1], channels, (int)x[2].shape[1]);
    }

    private static int Workers<T>(SelectiveScanKernel.Dims s) where T : unmanaged =>
        Math.Clamp(torch.get_num_threads(), 1, Math.Max(1, s.Blocks<T>()));

    private static Tensor Padded(Tensor x, int channels) => ChannelPadding.Pad(x, channels);

    private static Tensor Unpad(Tensor x, long channels) => ChannelPadding.Unpad(x, channels);

    /// <summary>The kernel's view of a contiguous tensor's memory.</summary>
    private static Memory<T> Of<T>(Tensor x) where T : unmanaged => TensorMemory<T>.Of(x);

    private static List<Tensor> Forward<T>(List<Tensor> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = Padded<T>(x);
        var (d, dp) = (x[0].shape[2], s.Channels);
        var y = empty([s.Batch, s.Length, dp], dtype: x[0].dtype);
        var hLast = empty([s.Batch, s.State, dp], dtype: x[0].dtype);
        SelectiveScanKernel.Forward<T>(s, Of<T>(Padded(x[0], dp)), Of<T>(Padded(x[1], dp)), Of<T>(Padded(x[2].t(), dp)),
            Of<T>(x[3].contiguous()), Of<T>(x[4].contiguous()), Of<T>(Padded(x[5].transpose(1, 2), dp)), Of<T>(y), Of<T>(hLast), Workers<T>(s));
        return
        [
            Unpad(y, d).contiguous(),                                                     // (B, L, D)
            Unpad(hLast, d).transpose(1, 2).contiguous(),                                 // (B, D, N)
        ];
    }

    private static List<Tensor> Backward<T>(List<Tensor> x, List<Tensor> grads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = Padded<T>(x);
        var (d, dp, dtype) = (x[0].shape[2], s.Channels, x[0].dtype);
        var (gu, gdelta) = (empty([s.Batch, s.Length, dp], dtype: dtype), empty([s.Batch, s.Length, dp], dtype: dtype));
        var ga = empty([s.State, dp], dtype: dtype);
        var (gb, gc) = (empty([s.Batch, s.Length, s.State], dtype: dtype), empty([s.Batch, s.Length, s.State], dtype: dtype));
        var gh0 = empty([s.Batch, s.State, dp], dtype: dtype);
        var gy = Defined(grads, 0) ? Padded(grads[0], dp) : zeros([s.Batch, s.Length, dp], dtype: dtype);
        var gLast = Defined(grads, 1) ? Padded(grads[1].transpose(1, 2), dp) : zeros([s.Batch, s.State, dp], dtype: dtype);
        SelectiveScanKernel.Backward<T>(s, Of<T>(Padded(x[0], dp)), Of<T>(Padded(x[1], dp)), Of<T>(Padded(x[2].t(), dp)),
            Of<T>(x[3].contiguous()), Of<T>(x[4].contiguous()), Of<T>(Padded(x[5].transpose(1, 2), dp)), Of<T>(gy), Of<T>(gLast),
            Of<T>(gu), Of<T>(gdelta), Of<T>(ga), Of<T>(gb), Of<T>(gc), Of<T>(gh0), Workers<T>(s));
        return
        [
            Unpad(gu, d).contiguous(),
            Unpad(gdelta, d).contiguous(),
            Unpad(ga, d).t().contiguous(),                                                // (D, N)
            gb,
            gc,
            Unpad(gh0, d).transpose(1, 2).contiguous(),                                   // (B, D, N)
        ];
    }
}
