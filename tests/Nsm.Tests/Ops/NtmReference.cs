using static TorchSharp.torch;

namespace Nsm.Tests.Ops;

/// <summary>
/// The Neural Turing Machine equations (Graves et al. 2014, equations 2-9) written out for one
/// sample and one head at a time, row by row with scalar tensors, so that autograd gives the
/// gradients too. Shares nothing with <c>Nsm.Ops.NtmAddressing</c>: no tensor op over rows, no
/// roll, no softmax, no matmul.
/// </summary>
internal static class NtmReference
{
    /// <summary>
    /// One head's weighting over the m rows of memory (m, w): content with key (w) and strength
    /// beta, interpolation with previous (m) by gate g, circular shift by the distribution shift
    /// (3: offsets -1, 0, +1), sharpening by gamma. Scalars are 0-d tensors. Returns (m).
    /// </summary>
    public static Tensor Address(Tensor memory, Tensor previous, Tensor key, Tensor beta, Tensor gate, Tensor shift, Tensor gamma)
    {
        var m = (int)memory.shape[0];
        var keyNorm = (key * key).sum().sqrt();
        // (5)-(6): K(u, v) = u·v / (|u||v|), w_c(i) = exp(beta K(k, M_i)) / sum_j exp(beta K(k, M_j))
        var scores = new Tensor[m];
        for (var i = 0; i < m; i++)
        {
            var row = memory[i];
            var cosine = (key * row).sum() / (keyNorm * (row * row).sum().sqrt()).clamp_min(1e-8);
            scores[i] = beta * cosine;
        }
        var largest = scores.Select(t => t.item<float>()).Max();
        var exps = scores.Select(t => (t - largest).exp()).ToArray();
        var total = exps.Aggregate((a, b) => a + b);
        // (7): w_g = g w_c + (1 - g) w_{t-1}
        var gated = new Tensor[m];
        for (var i = 0; i < m; i++) gated[i] = gate * (exps[i] / total) + (1 - gate) * previous[i];
        // (8): w_s(i) = sum_j w_g(j) s(i - j), indices mod m, s over offsets -1, 0, +1
        var shifted = new Tensor[m];
        for (var i = 0; i < m; i++)
        {
            var sum = zeros([]);
            // s(i - j) is the mass of every shift o in {-1, 0, +1} with o = i - j (mod m); with m < 3 several land on one offset.
            for (var j = 0; j < m; j++)
                for (var o = -1; o <= 1; o++)
                    if (((i - j - o) % m + m) % m == 0) sum = sum + gated[j] * shift[o + 1];
            shifted[i] = sum;
        }
        // (9): w(i) = w_s(i)^gamma / sum_j w_s(j)^gamma
        var powered = shifted.Select(v => v.clamp_min(1e-12).pow(gamma)).ToArray();
        var norm = powered.Aggregate((a, b) => a + b);
        return stack(powered.Select(v => v / norm).ToArray());
    }

    /// <summary>(3)-(4) for several heads: M'(i, j) = M(i, j) · prod_h (1 - w_h(i) e_h(j)) + sum_h w_h(i) a_h(j).</summary>
    public static Tensor Write(Tensor memory, IReadOnlyList<Tensor> weights, IReadOnlyList<Tensor> erase, IReadOnlyList<Tensor> add)
    {
        var (m, w) = ((int)memory.shape[0], (int)memory.shape[1]);
        var rows = new Tensor[m];
        for (var i = 0; i < m; i++)
        {
            var cells = new Tensor[w];
            for (var j = 0; j < w; j++)
            {
                var kept = memory[i, j];
                for (var h = 0; h < weights.Count; h++) kept = kept * (1 - weights[h][i] * erase[h][j]);
                for (var h = 0; h < weights.Count; h++) kept = kept + weights[h][i] * add[h][j];
                cells[j] = kept;
            }
            rows[i] = stack(cells);
        }
        return stack(rows);
    }

    /// <summary>(2): r(j) = sum_i w(i) M(i, j).</summary>
    public static Tensor Read(Tensor memory, Tensor weights)
    {
        var (m, w) = ((int)memory.shape[0], (int)memory.shape[1]);
        var cells = new Tensor[w];
        for (var j = 0; j < w; j++)
        {
            var sum = zeros([]);
            for (var i = 0; i < m; i++) sum = sum + weights[i] * memory[i, j];
            cells[j] = sum;
        }
        return stack(cells);
    }
}
