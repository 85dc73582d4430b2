using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// Plain reference of the rows an NSM write takes, row by row: x^_t = RmsNorm(x_t)·g, then the
/// causal write convolution u_t = Σ_{i=0}^{k-1} K_i ⊙ x^_{t-i} (rows before the call come from
/// the history), plus the embedding P of the row's offset in its chunk, (o + t) mod c.
/// </summary>
internal static class WriteConvolutionReference
{
    /// <summary>
    /// rows: (B, n, d); history: (B, k-1, d) the k-1 raw rows before rows[0] (oldest first), or
    /// null when kernel is null; normGain: (d); kernel: (k, d), row i weighing the row i steps back,
    /// or null (u_t = x^_t); position: (c, d) or null; firstOffset: o, the chunk offset of rows[0].
    /// Returns the write inputs (B, n, d).
    /// </summary>
    public static Tensor Inputs(Tensor rows, Tensor? history, Tensor normGain, Tensor? kernel, Tensor? position, long firstOffset)
    {
        var n = rows.shape[1];
        var lags = kernel?.shape[0] ?? 1;
        var before = lags - 1;
        var outputs = new List<Tensor>();
        for (long t = 0; t < n; t++)
        {
            Tensor u;
            if (kernel is null)
            {
                u = ReferenceMath.RmsNorm(rows.select(1, t), normGain);                      // (B, d)
            }
            else
            {
                u = zeros_like(rows.select(1, t));
                for (long i = 0; i < lags; i++)
                {
                    var back = t - i;
                    var row = back >= 0 ? rows.select(1, back) : history!.select(1, before + back); // raw row t - i
                    u = u + kernel[i] * ReferenceMath.RmsNorm(row, normGain);
                }
            }
            if (position is not null) u = u + position[(firstOffset + t) % position.shape[0]];
            outputs.Add(u);
        }
        return stack(outputs, 1);                                                             // (B, n, d)
    }
}
