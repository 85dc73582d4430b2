using Nsm.Config;
using Nsm.Core;
using Nsm.Data;

namespace Nsm.Tasks;

/// <summary>
/// Associative recall (Ba et al. 2016, "Using Fast Weights"; NTM paper): <c>num_pairs</c>
/// key-value pairs with distinct keys, a marker, one of the keys; the next token, its value, is
/// the only scored target. Example with letters as keys and digits as values: <c>c9k8j3f1?k8</c>.
/// Token ids: keys 0..K-1, values K..K+V-1, SEP = K+V. Length 2 * num_pairs + 3.
/// </summary>
public sealed class AssociativeRecallTask : SyntheticSequenceTask
{
    private readonly int keys;
    private readonly int values;
    private readonly int pairs;

    /// <summary>The rules that tie associative_recall's keys together.</summary>
    public static void Validate(TaskConfig config)
    {
        if (config.NumPairs > config.KeyVocab)
            throw new ConfigException($"'task.num_pairs' = {config.NumPairs} must not exceed 'task.key_vocab' = {config.KeyVocab} (keys of one sequence are distinct)");
    }

    public AssociativeRecallTask(TaskConfig config, long seed) : base(seed, config.EvalExamples)
    {
        keys = config.KeyVocab;
        values = config.ValueVocab;
        pairs = config.NumPairs;
        Validate(config);
        var symbols = keys + values + 1;
        Spec = new TaskSpec(symbols, 0, TaskOutput.PerToken, symbols, Causal: true, MaxLength: 2 * pairs + 2);
    }

    public override string Name => "associative_recall";

    public override TaskSpec Spec { get; }

    public long Separator => keys + values;

    public override SequenceExample Generate(SeededRandom random)
    {
        var total = 2 * pairs + 3;
        var tokens = new long[total];
        var chosen = Sampling.Distinct(random, keys, pairs);
        for (var i = 0; i < pairs; i++)
        {
            tokens[2 * i] = chosen[i];
            tokens[2 * i + 1] = keys + random.Next(values);
        }
        var query = random.Next(pairs);
        tokens[2 * pairs] = Separator;
        tokens[2 * pairs + 1] = tokens[2 * query];
        tokens[2 * pairs + 2] = tokens[2 * query + 1];
        var scored = new bool[total - 1];
        scored[2 * pairs + 1] = true;
        return new SequenceExample(tokens, scored);
    }
}
