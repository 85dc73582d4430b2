using TorchSharp;
using TorchSharp.Modules;
using Nsm.Models;
using static TorchSharp.torch;

namespace Nsm.Layers;

/// <summary>
/// Maps task inputs to vectors: token ids (B, N) through an embedding table, or continuous
/// features (B, N, F) (pixels, patches) through a linear projection. Returns (B, N, d).
/// </summary>
public sealed class InputEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Embedding? tok_emb;
    private readonly Linear? in_proj;

    public InputEmbedding(TaskSpec spec, long dim) : base(nameof(InputEmbedding))
    {
        if (spec.TokenInputs)
        {
            tok_emb = nn.Embedding(spec.VocabSize, dim);
            nn.init.normal_(tok_emb.weight, 0, 0.02);
        }
        else
        {
            in_proj = nn.Linear(spec.InputFeatures, dim);
        }
        RegisterComponents();
    }

    /// <summary>The token embedding table (V, d), or null for continuous inputs.</summary>
    public Parameter? TokenWeight => tok_emb?.weight;

    public override Tensor forward(Tensor input)
    {
        if (tok_emb is not null)
        {
            if (input.dtype != ScalarType.Int64) throw new ArgumentException($"token inputs must be int64 (B, N), got {input.dtype}");
            return tok_emb.forward(input);
        }
        if (input.dim() != 3) throw new ArgumentException($"feature inputs must be (B, N, F), got shape [{string.Join(", ", input.shape)}]");
        return in_proj!.forward(input.to(ScalarType.Float32));
    }
}
