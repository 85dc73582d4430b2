using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Data;

namespace Nsm.Tasks;

/// <summary>One generated sequence: tokens and which next-token targets are scored.</summary>
/// <param name="Tokens">The whole sequence s (length T).</param>
/// <param name="Scored">Length T-1: Scored[j] says whether predicting s[j+1] from s[..j] counts.</param>
public sealed record SequenceExample(long[] Tokens, bool[] Scored);

/// <summary>
/// Base of generated next-token tasks (copy, selective copy, recall): the model reads s[0..T-2]
/// and predicts s[1..T-1]; only the scored targets enter loss and accuracy. All examples of a
/// task have the same length, so batches need no padding.
/// </summary>
public abstract class SyntheticSequenceTask : ITask
{
    private readonly long seed;
    private readonly int evalExamples;
    private List<SequenceExample>? evalSet;

    protected SyntheticSequenceTask(long seed, int evalExamples)
    {
        this.seed = seed;
        this.evalExamples = evalExamples;
    }

    public abstract string Name { get; }

    public abstract TaskSpec Spec { get; }

    public virtual ITokenizer? Tokenizer => null;

    /// <summary>Draws one example.</summary>
    public abstract SequenceExample Generate(SeededRandom random);

    public Batch TrainBatch(long step, int batchSize, Device device)
    {
        // Stream step+1 for training, stream 0 for evaluation: the two never overlap.
        var random = new SeededRandom(seed, step + 1);
        return ToBatch(Enumerable.Range(0, batchSize).Select(_ => Generate(random)).ToList(), device);
    }

    /// <summary>
    /// Evaluation sets of at most this many tokens are generated once and kept, since training
    /// evaluates them again and again. Larger ones (passkey at 64k: 100 examples are 6.6M tokens,
    /// 59 MB as arrays) are generated batch by batch on every pass from the same stream, so the
    /// examples are the same and memory holds one batch, not the set: evaluation memory stays flat in the length.
    /// </summary>
    public const long KeptEvalTokens = 1L << 20;

    /// <summary>The limit this task keeps its set under: <see cref="KeptEvalTokens"/>, lower in tests.</summary>
    internal long KeptEvalTokenLimit { get; set; } = KeptEvalTokens;

    public IEnumerable<Batch> EvalBatches(int batchSize, Device device)
    {
        // Spec.MaxLength + 1 is the length of an example (about, for some tasks): it only chooses
        // between the two paths, which give the same batches.
        if (evalSet is null && (Spec.MaxLength + 1L) * evalExamples > KeptEvalTokenLimit)
        {
            foreach (var examples in EvalExamples().Chunk(batchSize)) yield return ToBatch(examples, device);
            yield break;
        }
        evalSet ??= EvalExamples().ToList();
        for (var start = 0; start < evalSet.Count; start += batchSize)
            yield return ToBatch(evalSet.Skip(start).Take(batchSize).ToList(), device);
    }

    /// <summary>The evaluation examples in order, drawn one by one from stream 0.</summary>
    private IEnumerable<SequenceExample> EvalExamples()
    {
        var random = new SeededRandom(seed ^ 0x5EEDL, 0);
        for (var i = 0; i < evalExamples; i++) yield return Generate(random);
    }

    /// <summary>Stacks examples into inputs (B, T-1), targets (B, T-1) and a loss mask (B, T-1).</summary>
    public static Batch ToBatch(IReadOnlyList<SequenceExample> examples, Device device)
    {
        var b = examples.Count;
        var t = examples[0].Tokens.Length - 1;
        var inputs = new long[b * t];
        var targets = new long[b * t];
        var mask = new bool[b * t];
        for (var i = 0; i < b; i++)
        {
            var tokens = examples[i].Tokens;
            if (tokens.Length != t + 1) throw new InvalidOperationException("synthetic examples of one batch must have equal length");
            Array.Copy(tokens, 0, inputs, i * t, t);
            Array.Copy(tokens, 1, targets, i * t, t);
            Array.Copy(examples[i].Scored, 0, mask, i * t, t);
        }
        return new Batch(
            tensor(inputs, [b, t], device: device),
            tensor(targets, [b, t], device: device),
            tensor(mask, [b, t], device: device));
    }
}
