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
/// output y = (h_1 .. h_T), (B, T, d). The forward loops over time without a graph and keeps
/// the gates (r, z, n, hp_n) and the states; the backward runs backpropagation through time by
/// hand: everything but the gradient carried from step to step is computed for all steps at once
/// (the per-gate factors before the loop; the gradients of xp, W_hh and b_hh after it, W_hh's as
/// one matmul), so a step costs three tensor operations.
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
        var (y, gates, candidates, recurrentN) = Steps(xp, h0, whh, bhh);
        var output = y.transpose(0, 1).contiguous().MoveToOuterDisposeScope();
        List<Tensor> keep = [y, gates, candidates, recurrentN];
        // The context holds these managed tensors themselves (disposing them here would empty
        // the saved slots), so they leave the scope and the backward disposes them.
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
        return Steps(xp, h0, whh, bhh).Y.transpose(0, 1).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The loop over time, without a graph: the states y, gates (r, z), n and hp_n, each (T, B, ·).</summary>
    private static (Tensor Y, Tensor Gates, Tensor Candidates, Tensor RecurrentN) Steps(Tensor xp, Tensor h0, Tensor whh, Tensor bhh)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (length, d) = (xp.shape[1], h0.shape[1]);
        if (length < 1) throw new ArgumentException("the GRU recurrence needs at least one step", nameof(xp));
        var steps = xp.transpose(0, 1).contiguous();                 // (T, B, 3d): one contiguous block per step
        var whhT = whh.t();
        var (states, gates, candidates, recurrentN) = (new Tensor[length], new Tensor[length], new Tensor[length], new Tensor[length]);
        var h = h0;
        for (long t = 0; t < length; t++)
        {
            var xt = steps[t];                                        // (B, 3d)
            var hp = addmm(bhh, h, whhT, 1, 1);                       // (B, 3d)
            var rz = (xt.narrow(1, 0, 2 * d) + hp.narrow(1, 0, 2 * d)).sigmoid_();
            var hn = hp.narrow(1, 2 * d, d);
            var n = addcmul(xt.narrow(1, 2 * d, d), rz.narrow(1, 0, d), hn, 1).tanh_();
            h = n.lerp(h, rz.narrow(1, d, d));                        // n + z (h - n)
            (states[t], gates[t], candidates[t], recurrentN[t]) = (h, rz, n, hn);
        }
        return (stack(states).MoveToOuterDisposeScope(), stack(gates).MoveToOuterDisposeScope(),
            stack(candidates).MoveToOuterDisposeScope(), stack(recurrentN).MoveToOuterDisposeScope());
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grads)
    {
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (h0, whh, y, gates, candidates, hn) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5]);
        var (length, batch, d) = (y.shape[0], y.shape[1], y.shape[2]);
        var gy = grads.Count > 0 && grads[0] is { IsInvalid: false }
            ? grads[0].transpose(0, 1).contiguous()                   // (T, B, d)
            : zeros_like(y);
        var previous = length > 1 ? cat([h0.unsqueeze(0), y.narrow(0, 0, length - 1)], 0) : h0.unsqueeze(0);
        var (r, z, n) = (gates.narrow(2, 0, d), gates.narrow(2, d, d), candidates);
        // With g = dL/dh_t: d(xp_n) = g a, a = (1 - z)(1 - n²); d(hp_r) = d(xp_r) = g a hp_n r (1 - r);
        // d(hp_z) = d(xp_z) = g (h_{t-1} - n) z (1 - z); d(hp_n) = g a r; dL/dh_{t-1} = g z + d(hp) W_hh.
        var a = (1 - z) * (1 - n * n);
        var dr = a * hn * r * (1 - r);
        var dz = (previous - n) * z * (1 - z);
        var toHp = stack([dr, dz, a * r], 2);                         // (T, B, 3, d)
        var toXp = stack([dr, dz, a], 2);
        var carried = new Tensor[length];
        var g = gy[length - 1];
        for (var t = length - 1; t >= 0; t--)
        {
            carried[t] = g;
            var dhp = (g.unsqueeze(1) * toHp[t]).view(batch, 3 * d);
            var direct = t > 0 ? addcmul(gy[t - 1], g, z[t], 1) : g * z[t];
            g = addmm(direct, dhp, whh, 1, 1);
        }
        var total = stack(carried).unsqueeze(2);                      // (T, B, 1, d)
        var dhpAll = (total * toHp).view(length * batch, 3 * d);
        var dxp = (total * toXp).view(length, batch, 3 * d).transpose(0, 1).contiguous();
        var dwhh = dhpAll.t().mm(previous.reshape(length * batch, d));
        var dbhh = dhpAll.sum(dim: 0);
        var result = new List<Tensor> { dxp, g, dwhh, dbhh }.Select(t => t.MoveToOuterDisposeScope()).ToList();
        foreach (var k in saved.Skip(2)) k.Dispose();                 // the forward's intermediates (see forward)
        return result;
    }
}
