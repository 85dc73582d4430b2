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

    private static T[] ReadPadded<T>(Tensor x, int channels) where T : unmanaged =>
        HostArrays.Read<T>(nn.functional.pad(x, [0, channels - x.shape[^1]]));

    private static Tensor Unpad<T>(T[] data, long[] shape, long channels) where T : unmanaged =>
        HostArrays.Write(data, shape).narrow(-1, 0, channels).contiguous();

    private static List<Tensor> Forward<T>(List<Tensor> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = Padded<T>(x);
        var (c, cp) = (x[2].shape[2], s.Channels);
        var y = new T[(long)s.Batch * s.Length * cp];
        var (a, b, p) = (new T[s.Batch * cp], new T[s.Batch * cp], new T[s.Batch * cp]);
        WkvKernel.Forward(s, ReadPadded<T>(x[0], cp), ReadPadded<T>(x[1], cp), ReadPadded<T>(x[2], cp), ReadPadded<T>(x[3], cp),
            ReadPadded<T>(x[4], cp), ReadPadded<T>(x[5], cp), ReadPadded<T>(x[6], cp), y, a, b, p, Workers<T>(s));
        long[] state = [s.Batch, cp];
        return [Unpad(y, [s.Batch, s.Length, cp], c), Unpad(a, state, c), Unpad(b, state, c), Unpad(p, state, c)];
    }

    private static List<Tensor> Backward<T>(List<Tensor> x, List<Tensor> grads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = Padded<T>(x);
        var (c, cp) = (x[2].shape[2], s.Channels);
        var sequence = (long)s.Batch * s.Length * cp;
        var (gw, gu) = (new T[cp], new T[cp]);
        var (gk, gv) = (new T[sequence], new T[sequence]);
        var (ga, gb, gp) = (new T[s.Batch * cp], new T[s.Batch * cp], new T[s.Batch * cp]);
        WkvKernel.Backward(s, ReadPadded<T>(x[0], cp), ReadPadded<T>(x[1], cp), ReadPadded<T>(x[2], cp), ReadPadded<T>(x[3], cp),
            ReadPadded<T>(x[4], cp), ReadPadded<T>(x[5], cp), ReadPadded<T>(x[6], cp),
            Defined(grads, 0) ? ReadPadded<T>(grads[0], cp) : new T[sequence],
            Defined(grads, 1) ? ReadPadded<T>(grads[1], cp) : new T[s.Batch * cp],
            Defined(grads, 2) ? ReadPadded<T>(grads[2], cp) : new T[s.Batch * cp],
            gw, gu, gk, gv, ga, gb, gp, Workers<T>(s));
        long[] state = [s.Batch, cp];
        return
        [
            Unpad(gw, [cp], c), Unpad(gu, [cp], c),
            Unpad(gk, [s.Batch, s.Length, cp], c), Unpad(gv, [s.Batch, s.Length, cp], c),
            Unpad(ga, state, c), Unpad(gb, state, c), Unpad(gp, state, c),
        ];
    }
}
