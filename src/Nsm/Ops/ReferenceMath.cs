using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// The few formulas the plain references (<c>*Reference</c> beside each fast op) share, written
/// out from their definitions. The fast paths never call these, and the references never call
/// the fast paths' helpers (<see cref="NsmOps"/>, the modules), so a bug in one side cannot hide
/// in the other.
/// </summary>
internal static class ReferenceMath
{
    /// <summary>x / sqrt(mean(x²) + eps) · gain over the last dimension: (..., d) -> (..., d).</summary>
    public static Tensor RmsNorm(Tensor x, Tensor gain, double eps = 1e-6) =>
        x / (x * x).mean([-1], keepdim: true).add(eps).sqrt() * gain;

    /// <summary>x·Wᵀ (+ b): (..., in) with weight (out, in) -> (..., out).</summary>
    public static Tensor Affine(Tensor x, Tensor weight, Tensor? bias = null)
    {
        var y = x.matmul(weight.t());
        return bias is null ? y : y + bias;
    }

    /// <summary>1 / (1 + exp(-x)).</summary>
    public static Tensor Logistic(Tensor x) => 1 / (1 + (-x).exp());

    /// <summary>
    /// Softmax over the last dimension of logits (..., K) restricted to the entries where keep
    /// (broadcastable bool) is true; the others get weight exactly 0 and no gradient. Returns the
    /// weights (..., K) and the log-normaliser log sum_kept exp(logit) (...). A row must keep at
    /// least one entry.
    /// </summary>
    public static (Tensor Weights, Tensor LogSumExp) MaskedSoftmax(Tensor logits, Tensor keep)
    {
        keep = keep.expand(logits.shape);
        var top = where(keep, logits, full_like(logits, double.NegativeInfinity)).detach().amax([-1], keepdim: true); // (..., 1)
        var shifted = where(keep, logits - top, zeros_like(logits));
        var e = shifted.exp() * keep.to(logits.dtype);
        var total = e.sum(-1, keepdim: true);
        return (e / total, (top + total.log()).squeeze(-1));
    }

    /// <summary>
    /// Keep mask (..., K) of each row's k largest logits (all of them for k = 0 or k >= K) among
    /// the entries allowed (broadcastable bool), chosen by sorting on the host.
    /// </summary>
    public static Tensor TopK(Tensor logits, Tensor allowed, int k)
    {
        allowed = allowed.expand(logits.shape).contiguous();
        var width = (int)logits.shape[^1];
        var values = logits.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        var permitted = allowed.cpu().data<bool>().ToArray();
        var keep = new bool[values.Length];
        for (var row = 0; row < values.Length / width; row++)
        {
            var order = Enumerable.Range(0, width).Where(j => permitted[row * width + j])
                .OrderByDescending(j => values[row * width + j]).ToArray();
            var taken = k <= 0 ? order.Length : Math.Min(k, order.Length);
            foreach (var j in order.Take(taken)) keep[row * width + j] = true;
        }
        return tensor(keep, device: logits.device).view(logits.shape);
    }
}
