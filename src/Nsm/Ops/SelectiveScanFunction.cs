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

    /// <summary>(..., D) zero-padded to (..., D') and copied out.</summary>
    private static T[] ReadPadded<T>(Tensor x, int channels) where T : unmanaged =>
        HostArrays.Read<T>(nn.functional.pad(x, [0, channels - x.shape[^1]]));

    /// <summary>A kernel array of shape (..., D') as a tensor (..., D).</summary>
    private static Tensor Unpad<T>(T[] data, long[] shape, long channels) where T : unmanaged =>
        HostArrays.Write(data, shape).narrow(-1, 0, channels);

    private static List<Tensor> Forward<T>(List<Tensor> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = Padded<T>(x);
        var (d, dp) = (x[0].shape[2], s.Channels);
        var y = new T[(long)s.Batch * s.Length * dp];
        var hLast = new T[(long)s.Batch * s.State * dp];
        SelectiveScanKernel.Forward(s, ReadPadded<T>(x[0], dp), ReadPadded<T>(x[1], dp), ReadPadded<T>(x[2].t(), dp),
            HostArrays.Read<T>(x[3]), HostArrays.Read<T>(x[4]), ReadPadded<T>(x[5].transpose(1, 2), dp), y, hLast, Workers<T>(s));
        return
        [
            Unpad(y, [s.Batch, s.Length, dp], d).contiguous(),                           // (B, L, D)
            Unpad(hLast, [s.Batch, s.State, dp], d).transpose(1, 2).contiguous(),        // (B, D, N)
        ];
    }

    private static List<Tensor> Backward<T>(List<Tensor> x, List<Tensor> grads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = Padded<T>(x);
        var (d, dp) = (x[0].shape[2], s.Channels);
        var sequence = (long)s.Batch * s.Length;
        var (gu, gdelta) = (new T[sequence * dp], new T[sequence * dp]);
        var ga = new T[(long)s.State * dp];
        var (gb, gc) = (new T[sequence * s.State], new T[sequence * s.State]);
        var gh0 = new T[(long)s.Batch * s.State * dp];
        SelectiveScanKernel.Backward(s, ReadPadded<T>(x[0], dp), ReadPadded<T>(x[1], dp), ReadPadded<T>(x[2].t(), dp),
            HostArrays.Read<T>(x[3]), HostArrays.Read<T>(x[4]), ReadPadded<T>(x[5].transpose(1, 2), dp),
            Defined(grads, 0) ? ReadPadded<T>(grads[0], dp) : new T[sequence * dp],
            Defined(grads, 1) ? ReadPadded<T>(grads[1].transpose(1, 2), dp) : new T[(long)s.Batch * s.State * dp],
            gu, gdelta, ga, gb, gc, gh0, Workers<T>(s));
        return
        [
            Unpad(gu, [s.Batch, s.Length, dp], d).contiguous(),
            Unpad(gdelta, [s.Batch, s.Length, dp], d).contiguous(),
            Unpad(ga, [s.State, dp], d).t().contiguous(),                                 // (D, N)
            HostArrays.Write(gb, [s.Batch, s.Length, s.State]),
            HostArrays.Write(gc, [s.Batch, s.Length, s.State]),
            Unpad(gh0, [s.Batch, s.State, dp], d).transpose(1, 2).contiguous(),          // (B, D, N)
        ];
    }
}
