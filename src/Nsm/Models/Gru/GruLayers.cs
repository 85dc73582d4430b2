using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Ops;

namespace Nsm.Models.Gru;

/// <summary>
/// A stacked, batch-first GRU with the parameters of a native <see cref="GRU"/> module
/// (weight_ih_l{l}, weight_hh_l{l}, bias_ih_l{l}, bias_hh_l{l}), in two forms that agree on
/// outputs and gradients: <see cref="Native"/> (libtorch's GRU: the reference, and the form on
/// accelerators) and <see cref="Fused"/> (per layer, the input projection of all steps as one
/// matmul, then <see cref="GruRecurrenceFunction"/>; on the CPU several times faster to train,
/// as libtorch's fused RNN path there is the LSTM's only).
/// </summary>
internal static class GruLayers
{
    /// <summary>Whether <see cref="Fused"/> is the faster form for this input: on the CPU.</summary>
    public static bool PrefersFused(Tensor x) => x.device_type == TorchSharp.DeviceType.CPU;

    /// <summary>libtorch's GRU. x (B, T, d_in), h0 (L, B, d) or null for zeros; returns y (B, T, d) and h_T (L, B, d).</summary>
    public static (Tensor Y, Tensor H) Native(GRU gru, Tensor x, Tensor? h0) => gru.forward(x, h0);

    /// <summary>
    /// The same as <see cref="Native"/> (dropout p on the outputs of every layer but the last while
    /// training, as the native module applies it, with its own random draws).
    /// </summary>
    public static (Tensor Y, Tensor H) Fused(GRU gru, Tensor x, Tensor? h0, long layers, long hidden, double dropout, bool training)
    {
        using var scope = NewDisposeScope();
        var parameters = gru.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var input = x;
        var finals = new Tensor[layers];
        for (var l = 0; l < layers; l++)
        {
            var projected = nn.functional.linear(input, parameters[$"weight_ih_l{l}"], parameters[$"bias_ih_l{l}"]);   // (B, T, 3d)
            var start = h0 is null ? zeros([x.shape[0], hidden], dtype: x.dtype, device: x.device) : h0[l];
            var (whh, bhh) = (parameters[$"weight_hh_l{l}"], parameters[$"bias_hh_l{l}"]);
            // Without a graph to build, the same loop runs bare: the function would keep its gates.
            var y = is_grad_enabled() && new[] { projected, start, whh, bhh }.Any(t => t.requires_grad)
                ? GruRecurrenceFunction.apply(projected, start, whh, bhh)[0]
                : GruRecurrenceFunction.Infer(projected, start, whh, bhh);
            finals[l] = y.select(1, y.shape[1] - 1);
            input = l < layers - 1 && training && dropout > 0 ? nn.functional.dropout(y, dropout, training: true) : y;
        }
        return (input.MoveToOuterDisposeScope(), stack(finals).MoveToOuterDisposeScope());
    }
}
