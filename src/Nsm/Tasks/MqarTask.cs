using Nsm.Config;
using Nsm.Core;
using Nsm.Data;

namespace Nsm.Tasks;

/// <summary>
/// Multi-query associative recall (Zoology, Arora et al. 2023): <c>num_pairs</c> key-value
/// pairs (distinct keys, distinct values), then a query region in which <c>num_queries</c> of
/// the keys appear again, each followed by its value; every value after a query is scored.
/// Queries sit in two-token slots of the query region chosen as Zoology does, with
/// p(slot g) ∝ g^(a-1) (a = <c>query_gap_power</c>), so most queries come soon after the
/// pairs and some come late. Unused positions hold a blank token. The whole sequence has
/// <c>seq_len</c> tokens.
/// Token ids: keys 0..K-1, values K..K+V-1, BLANK = K+V.
/// </summary>
public sealed class MqarTask : SyntheticSequenceTask
{
    private readonly int keys;
    private readonly int values;
    private readonly int pairs;
    private readonly int queries;
    private readonly int total;
    private readonly double[] slotWeights;

    /// <summary>The rules that tie mqar's keys together; one-line ConfigException naming them.</summary>
    public static void Validate(TaskConfig config)
    {
        var (keys, values, pairs, total) = (config.KeyVocab, config.ValueVocab, config.NumPairs, config.SeqLen);
        var queries = config.NumQueries == 0 ? pairs : config.NumQueries;
        if (pairs > keys)
            throw new ConfigException($"'task.num_pairs' = {pairs} must not exceed 'task.key_vocab' = {keys} (keys of one sequence are distinct)");
        if (pairs > values)
            throw new ConfigException($"'task.num_pairs' = {pairs} must not exceed 'task.value_vocab' = {values} (values of one sequence are distinct)");
        if (queries > pairs)
            throw new ConfigException($"'task.num_queries' = {queries} must not exceed 'task.num_pairs' = {pairs} (each key is queried at most once)");
        if ((total - 2 * pairs) / 2 < queries)
            throw new ConfigException($"'task.seq_len' = {total} is too short for mqar: needs at least 2*num_pairs + 2*num_queries = {2 * pairs + 2 * queries} tokens");
    }

    public MqarTask(TaskConfig config, long seed) : base(seed, config.EvalExamples)
    {
        Validate(config);
        keys = config.KeyVocab;
        values = config.ValueVocab;
        pairs = config.NumPairs;
        queries = config.NumQueries == 0 ? pairs : config.NumQueries;
        total = config.SeqLen;
        var slots = (total - 2 * pairs) / 2;
        var a = config.QueryGapPower;
        slotWeights = Enumerable.Range(1, slots).Select(g => a * Math.Pow(g, a - 1)).ToArray();
        var symbols = keys + values + 1;
        Spec = new TaskSpec(symbols, 0, TaskOutput.PerToken, symbols, Causal: true, MaxLength: total - 1);
    }

    public override string Name => "mqar";

    public override TaskSpec Spec { get; }

    public long Blank => keys + values;

    /// <summary>Key tokens are 0..KeyVocab-1; value v is token KeyVocab + v.</summary>
    public int KeyVocab => keys;

    /// <summary>Number of queries (and scored targets) per sequence.</summary>
    public int NumQueries => queries;

    public override SequenceExample Generate(SeededRandom random)
    {
        var tokens = new long[total];
        Array.Fill(tokens, Blank);
        var chosenKeys = Sampling.Distinct(random, keys, pairs);
        var chosenValues = Sampling.Distinct(random, values, pairs);
        for (var i = 0; i < pairs; i++)
        {
            tokens[2 * i] = chosenKeys[i];
            tokens[2 * i + 1] = keys + chosenValues[i];
        }
        var asked = Sampling.Distinct(random, pairs, queries);
        var slots = Sampling.WeightedDistinct(random, slotWeights, queries);
        var scored = new bool[total - 1];
        for (var q = 0; q < queries; q++)
        {
            var at = 2 * pairs + 2 * slots[q];
            tokens[at] = chosenKeys[asked[q]];
            tokens[at + 1] = keys + chosenValues[asked[q]];
            scored[at] = true;
        }
        return new SequenceExample(tokens, scored);
    }
}
