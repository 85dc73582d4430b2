using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// The recurrence of one GRU layer (PyTorch's equations, gate order r, z, n) as an autograd
/// function, for CPU training where libtorch's GRU records a graph of cell operations per step:
///   hp_t = h_{t-1} W_hh^T + b_hh,   r, z = sigmoid(xp_{r,z} + hp_{r,z}),
///   n = tanh(xp_n + r * hp_n),      h_t = n + z (h_{t-1} - n) = (1 - z) n + z h_{t-1},
/// given the input projection xp = x W_ih^T + b_ih of every step (B, T, 3d), which the caller
/// computes in one matmul with ordinary autograd. Inputs xp, h0 (B, d), W_hh (3d, d), b_hh (3d);
/// output y = (h_1 .. h_T), (B, T, d). The loops over time run in <see cref="GruKernel"/>: the
/// forward keeps the gates (r, z, n, hp_n) and the states, the backward runs backpropagation
/// through time by hand and returns the gradient of hp at every step, from which W_hh's gradient
/// is one matmul and b_hh's one sum. Float32 and float64 on the CPU; the kernel reads and writes the tensors' memory (<see cref="TensorMemory{T}"/>).
/// </summary>
internal sealed class GruRecurrenceFunction : torch.autograd.MultiTensorFunction<GruRecurrenceFunction>
{
    public override string Name => nameof(GruRecurrenceFunction);

    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var inputs = vars.Cast<Tensor>().ToList();       // xp, h0, W_hh, b_hh
        var (xp, h0, whh, bhh) = (inputs[0], inputs[1], inputs[2], inputs[3]);
        // As in WkvFunction: a missing output gradient is zeros, handled in the backward.
        ctx.set_materialize_grads(false);
        using var scope = NewDisposeScope();
        var (output, saved, gates) = xp.dtype == ScalarType.Float64
            ? Run<double>(xp, h0, whh, bhh, keep: true)
            : Run<float>(xp, h0, whh, bhh, keep: true);
        output.MoveToOuterDisposeScope();
        // The context holds these managed tensors themselves (disposing them here would empty
        // the saved slots), so they leave the scope and the backward disposes them.
        List<Tensor> keep = [saved, gates!];
        foreach (var k in keep) k.DetachFromDisposeScope();
        ctx.save_for_backward([h0, whh, .. keep]);
        return [output];
    }

    /// <summary>
    /// The forward without a graph (for inference, where nothing needs saving): y (B, T, d) from
    /// the same arguments as the function.
    /// </summary>
    public static Tensor Infer(Tensor xp, Tensor h0, Tensor whh, Tensor bhh)
    {
        using var scope = NewDisposeScope();
        var output = xp.dtype == ScalarType.Float64
            ? Run<double>(xp, h0, whh, bhh, keep: false).Y
            : Run<float>(xp, h0, whh, bhh, keep: false).Y;
        return output.MoveToOuterDisposeScope();
    }

    private static GruKernel.Dims Sizes(Tensor xp, Tensor h0)
    {
        if (xp.shape[1] < 1) throw new ArgumentException("the GRU recurrence needs at least one step", nameof(xp));
        if (!HostArrays.Supported(xp)) throw new ArgumentException($"the fused GRU recurrence runs on the CPU in float32 or float64, not {xp.device_type} {xp.dtype}", nameof(xp));
        return new((int)xp.shape[0], (int)xp.shape[1], (int)h0.shape[1]);
    }

    /// <summary>The kernel's forward: y (B, T, d), a second copy of it for the backward, and the gates (B, T, 4d) when kept.</summary>
    private static (Tensor Y, Tensor Saved, Tensor? Gates) Run<T>(Tensor xp, Tensor h0, Tensor whh, Tensor bhh, bool keep)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = Sizes(xp, h0);
        var (xpc, h0c, whhc, bhhc) = (xp.contiguous(), h0.contiguous(), whh.contiguous(), bhh.contiguous());
        var y = empty([s.Batch, s.Length, s.Hidden], dtype: xp.dtype);
        var gates = keep ? empty([s.Batch, s.Length, 4 * s.Hidden], dtype: xp.dtype) : null;
        GruKernel.Forward<T>(s, TensorMemory<T>.Of(xpc), TensorMemory<T>.Of(h0c), TensorMemory<T>.Of(whhc), TensorMemory<T>.Of(bhhc),
            TensorMemory<T>.Of(y), gates is null ? Memory<T>.Empty : TensorMemory<T>.Of(gates), GruKernel.Workers(s, get_num_threads()));
        return (y, keep ? y.clone() : y, gates);
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grads)
    {
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (h0, whh, y, gates) = (saved[0], saved[1], saved[2], saved[3]);
        var gy = grads.Count > 0 && grads[0] is { IsInvalid: false } ? grads[0] : zeros_like(y);
        var (ghp, gxp, gh0) = y.dtype == ScalarType.Float64
            ? Backward<double>(h0, whh, y, gates, gy)
            : Backward<float>(h0, whh, y, gates, gy);
        var (batch, length, d) = (y.shape[0], y.shape[1], y.shape[2]);
        var previous = length > 1 ? cat([h0.unsqueeze(1), y.narrow(1, 0, length - 1)], 1) : h0.unsqueeze(1);   // (B, T, d): h_{t-1}
        var ghpRows = ghp.view(batch * length, 3 * d);
        var dwhh = ghpRows.t().mm(previous.reshape(batch * length, d));                                      // (3d, d)
        var dbhh = ghpRows.sum(dim: 0);
        var result = new List<Tensor> { gxp, gh0, dwhh, dbhh }.Select(t => t.MoveToOuterDisposeScope()).ToList();
        foreach (var k in saved.Skip(2)) k.Dispose();                 // the forward's intermediates (see forward)
        return result;
    }

    /// <summary>The kernel's backward: the gradients of hp and xp (B, T, 3d) and of h0 (B, d).</summary>
    private static (Tensor Ghp, Tensor Gxp, Tensor Gh0) Backward<T>(Tensor h0, Tensor whh, Tensor y, Tensor gates, Tensor gy)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = new GruKernel.Dims((int)y.shape[0], (int)y.shape[1], (int)y.shape[2]);
        var (h0c, whhc, gyc) = (h0.contiguous(), whh.contiguous(), gy.contiguous());
        var (ghp, gxp) = (empty([s.Batch, s.Length, 3 * s.Hidden], dtype: y.dtype), empty([s.Batch, s.Length, 3 * s.Hidden], dtype: y.dtype));
        var gh0 = empty([s.Batch, s.Hidden], dtype: y.dtype);
        GruKernel.Backward<T>(s, TensorMemory<T>.Of(h0c), TensorMemory<T>.Of(whhc), TensorMemory<T>.Of(y), TensorMemory<T>.Of(gates),
            TensorMemory<T>.Of(gyc), TensorMemory<T>.Of(ghp), TensorMemory<T>.Of(gxp), TensorMemory<T>.Of(gh0), GruKernel.Workers(s, get_num_threads()));
        return (ghp, gxp, gh0);
    }
}
