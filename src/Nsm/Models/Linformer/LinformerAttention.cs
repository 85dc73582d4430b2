using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Models.Linformer;

/// <summary>
/// Linformer self-attention (Wang et al. 2020, "Linformer: Self-Attention with Linear Complexity"):
/// keys and values are projected along the sequence axis from length N to k by learned matrices
/// E and F (k x max_len, shared by the heads of a layer: the paper's headwise sharing), so
/// attention costs O(N k) instead of O(N^2):
///   head = softmax(Q (E K)^T / sqrt(d_h)) (F V).
/// Bidirectional only: the projection mixes every position into every key.
/// Padded positions are zeroed before the projection, so a padded sequence attends exactly as
/// the unpadded one (which uses the first N columns of E and F). (B, N, d) -> (B, N, d).
/// </summary>
public sealed class LinformerAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear qkv_proj;
    private readonly Linear out_proj;
    private readonly Linear proj_e;
    private readonly Linear proj_f;
    private readonly long numHeads;
    private readonly long headDim;
    private readonly long maxLength;

    /// <param name="dim">d, the model width.</param>
    /// <param name="numHeads">h; must divide d.</param>
    /// <param name="maxLength">Longest sequence (the width of E and F).</param>
    /// <param name="projected">k, the projected length.</param>
    public LinformerAttention(long dim, long numHeads, long maxLength, long projected) : base(nameof(LinformerAttention))
    {
        if (dim % numHeads != 0) throw new ConfigException($"'model.d_model' ({dim}) must be divisible by 'model.num_heads' ({numHeads})");
        this.numHeads = numHeads;
        headDim = dim / numHeads;
        this.maxLength = maxLength;
        qkv_proj = nn.Linear(dim, 3 * dim, hasBias: false);
        out_proj = nn.Linear(dim, dim, hasBias: false);
        // As the authors' fairseq code: E and F are bias-free Linear(max_len, k) layers applied along
        // the sequence, sliced to the actual length.
        proj_e = nn.Linear(maxLength, projected, hasBias: false);
        proj_f = nn.Linear(maxLength, projected, hasBias: false);
        RegisterComponents();
    }

    /// <summary>x: (B, N, d), N &lt;= max_len; paddingMask: (B, N) bool (true = real) or null. Returns (B, N, d).</summary>
    public override Tensor forward(Tensor x, Tensor? paddingMask)
    {
        var (b, n) = (x.shape[0], x.shape[1]);
        if (n > maxLength)
            throw new ArgumentException($"linformer was built for sequences of at most {maxLength} positions (the task's max length), got {n}");
        using var scope = NewDisposeScope();
        var qkv = qkv_proj.forward(x).view(b, n, 3, numHeads, headDim).permute(2, 0, 3, 1, 4); // (3, B, h, N, hd)
        var (q, k, v) = (qkv[0], qkv[1], qkv[2]);
        if (paddingMask is not null)
        {
            var keep = paddingMask.to(x.dtype).view(b, 1, n, 1);                        // (B, 1, N, 1)
            k = k * keep;
            v = v * keep;
        }
        var e = proj_e.weight.narrow(1, 0, n);                                          // (k, N)
        var f = proj_f.weight.narrow(1, 0, n);
        var keys = matmul(e, k);                                                        // (B, h, k, hd)
        var values = matmul(f, v);                                                      // (B, h, k, hd)
        var attended = nn.functional.scaled_dot_product_attention(q, keys, values);    // (B, h, N, hd)
        var merged = attended.transpose(1, 2).reshape(b, n, numHeads * headDim);        // (B, N, d)
        return out_proj.forward(merged).MoveToOuterDisposeScope();
    }
}
