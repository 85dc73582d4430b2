using Nsm.Config;
using Nsm.Core;
using Nsm.Data;

namespace Nsm.Tasks;

/// <summary>
/// Selective copy (Mamba paper, section 3.1): <c>num_tokens</c> content tokens scattered at
/// random positions among <c>seq_len</c> positions otherwise filled with a noise token, then a
/// marker, then the content tokens in their original order. Only the reproduced tokens are
/// scored. Unlike plain copy, the spacing varies, so a fixed shift (convolution) cannot solve it:
/// the model must select by content.
/// Token ids: content 0..V-1, NOISE = V, SEP = V+1. Length seq_len + 1 + num_tokens.
/// </summary>
public sealed class SelectiveCopyTask : SyntheticSequenceTask
{
    private readonly int vocab;
    private readonly int region;
    private readonly int count;

    /// <summary>The rules that tie selective_copy's keys together.</summary>
    public static void Validate(TaskConfig config)
    {
        if (config.NumTokens > config.SeqLen)
            throw new ConfigException($"'task.num_tokens' = {config.NumTokens} must not exceed 'task.seq_len' = {config.SeqLen} (selective_copy scatters num_tokens tokens among seq_len positions)");
    }

    public SelectiveCopyTask(TaskConfig config, long seed) : base(seed, config.EvalExamples)
    {
        vocab = config.VocabSize;
        region = config.SeqLen;
        count = config.NumTokens;
        Validate(config);
        var total = region + 1 + count;
        Spec = new TaskSpec(vocab + 2, 0, TaskOutput.PerToken, vocab + 2, Causal: true, MaxLength: total - 1);
    }

    public override string Name => "selective_copy";

    public override TaskSpec Spec { get; }

    public long Noise => vocab;

    public long Separator => vocab + 1;

    public override SequenceExample Generate(SeededRandom random)
    {
        var total = region + 1 + count;
        var tokens = new long[total];
        Array.Fill(tokens, Noise, 0, region);
        var positions = Sampling.DistinctSorted(random, region, count);
        for (var i = 0; i < count; i++)
        {
            var token = random.Next(vocab);
            tokens[positions[i]] = token;
            tokens[region + 1 + i] = token;
        }
        tokens[region] = Separator;
        var scored = new bool[total - 1];
        // Position region (the marker) predicts the first content token, and so on.
        for (var j = region; j < total - 1; j++) scored[j] = true;
        return new SequenceExample(tokens, scored);
    }
}
