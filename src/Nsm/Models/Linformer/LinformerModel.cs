using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Modules;

namespace Nsm.Models.Linformer;

/// <summary>
/// Linformer baseline (Wang et al. 2020): embedding plus learned absolute positions (as the
/// paper's RoBERTa setup; rotary positions do not survive the sequence projection), pre-norm
/// blocks with low-rank projected attention and SwiGLU, final RMSNorm, output head.
/// Non-causal only (for classification and other bidirectional tasks); O(N k) per layer.
/// </summary>
public sealed class LinformerModel : SequenceModel
{
    /// <summary>The FLOP formula of <see cref="EstimateFlops"/>, in words.</summary>
    public const string FlopFormula = "dense + L·8·d·k (sequence projections E, F and attention over k keys)";

    private readonly InputEmbedding embed;
    private readonly Parameter pos_emb;
    private readonly ModuleList<LinformerBlock> layers;
    private readonly RmsNorm norm_f;
    private readonly OutputHead head;
    private readonly int numLayers;
    private readonly int projectedLength;

    public LinformerModel(ModelConfig config, TaskSpec spec) : base(nameof(LinformerModel), spec, config.DModel)
    {
        if (spec.Causal)
            throw new ConfigException("'model.kind' = \"linformer\" is bidirectional (its sequence projection mixes future positions into every key) and cannot run a causal task; use it for classification or other non-causal tasks");
        if (spec.MaxLength < 1)
            throw new ConfigException($"'model.kind' = \"linformer\" needs a task with a known max length (its projections are k x max_len), got {spec.MaxLength}");
        embed = new InputEmbedding(spec, config.DModel, config.InputStem, config.StemChannels);
        pos_emb = nn.Parameter(normal(0, 0.02, [spec.MaxLength, config.DModel]));
        var hidden = SwiGlu.HiddenWidth(config.DModel, config.FfnMult);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumLayers)
            .Select(_ => new LinformerBlock(config.DModel, config.NumHeads, hidden, spec.MaxLength, config.Linformer.LinformerK, config.Dropout)).ToArray());
        norm_f = new RmsNorm(config.DModel);
        head = new OutputHead(spec, config.DModel, embed, config.TieEmbeddings);
        numLayers = config.NumLayers;
        projectedLength = config.Linformer.LinformerK;
        RegisterComponents();
    }

    /// <summary>
    /// pos_emb is a lookup; proj_e / proj_f (k x max_len) compress keys and values along the
    /// sequence: 2 k d per token each. Attention over k projected keys: 4 d k per token. The other
    /// weights run for every token.
    /// </summary>
    public override FlopEstimate EstimateFlops(long seqLen) => new(
        DenseFlops(name => name.EndsWith("pos_emb", StringComparison.Ordinal) || name.Contains("proj_e") || name.Contains("proj_f") ? 0 : 1),
        numLayers * 8.0 * DModel * Math.Min(projectedLength, seqLen),
        FlopFormula);

    public override Tensor forward(Tensor input, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var n = input.shape[1];
        if (n > Spec.MaxLength)
            throw new ArgumentException($"linformer was built for sequences of at most {Spec.MaxLength} positions (the task's max length), got {n}");
        var x = embed.forward(input) + pos_emb.narrow(0, 0, n);                          // (B, N, d)
        foreach (var layer in layers) x = layer.forward(x, paddingMask);
        return head.forward(norm_f.forward(x), paddingMask).MoveToOuterDisposeScope();
    }
}
