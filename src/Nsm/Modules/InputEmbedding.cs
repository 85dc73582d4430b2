using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;

namespace Nsm.Modules;

/// <summary>
/// Maps task inputs to vectors: token ids (B, N) through an embedding table, or continuous
/// features (B, N, F) (pixels, patches) through a linear projection, or, for image patches with
/// stem "conv", through a <see cref="ConvPatchStem"/>. Returns (B, N, d).
/// </summary>
public sealed class InputEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Embedding? tok_emb;
    private readonly Linear? in_proj;
    private readonly ConvPatchStem? stem;

    /// <param name="spec">The task's inputs.</param>
    /// <param name="dim">Output width d.</param>
    /// <param name="stem">Linear or Conv (model.input_stem); Conv needs patch inputs.</param>
    /// <param name="stemChannels">Channels of the conv stem's 3x3 convolution.</param>
    public InputEmbedding(TaskSpec spec, long dim, InputStem stem = InputStem.Linear, int stemChannels = 16) : base(nameof(InputEmbedding))
    {
        if (spec.TokenInputs)
        {
            if (stem == InputStem.Conv) throw new ConfigException("'model.input_stem' = \"conv\" needs image patch inputs (task.image_format = \"patches\"); this task has token inputs");
            tok_emb = nn.Embedding(spec.VocabSize, dim);
            nn.init.normal_(tok_emb.weight, 0, 0.02);
        }
        else if (stem == InputStem.Conv)
        {
            var grid = spec.Patches ?? throw new ConfigException("'model.input_stem' = \"conv\" needs image patch inputs (task.image_format = \"patches\")");
            this.stem = new ConvPatchStem(grid, stemChannels, dim);
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
        return stem is not null ? stem.forward(input.to(ScalarType.Float32)) : in_proj!.forward(input.to(ScalarType.Float32));
    }
}
