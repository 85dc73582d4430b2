using Nsm.Config;
using Nsm.Core;
using Nsm.Data;

namespace Nsm.Tasks;

/// <summary>
/// RULER's passkey retrieval (Hsieh et al. 2024; Mohtashami and Jaggi 2023) as bytes: a needle
/// <c>[NEEDLE d1..dk]</c> stated once at a depth drawn uniformly from [depth_min, depth_max],
/// filler everywhere else, and the question <c>[QUERY d1..dk]</c> at the very end, whose k digits
/// are the scored targets (exact match of all k). At least <c>min_distance</c> filler tokens lie
/// between the needle and the question, so the needle is never inside the question's local window.
/// The filler is a contiguous stretch of a text file's bytes, or random digits (the passkey's own
/// vocabulary) when no file is given. The example has <c>seq_len</c> tokens in all.
/// With <c>passkey_keys</c> = K > 1 (RULER's multi-key needles) there are K needles
/// <c>[NEEDLE name d1..dk]</c> with distinct letter names; the question <c>[QUERY name d1..dk]</c>
/// names the one at the drawn depth, and the other K-1, at random places before min_distance,
/// are distractors. With <c>passkey_values</c> = V > 1 (RULER's multi-value needles) the asked key
/// is stated in V needles with different digits, and the question lists all V values in the order
/// the needles appear: <c>[QUERY (name) v1 .. vV]</c>, V·k scored digits.
/// Token ids: bytes 0..255 (digits are '0'..'9', names 'a'..'z'), NEEDLE = 256, QUERY = 257.
/// </summary>
public sealed class PasskeyTask : SyntheticSequenceTask, IExactMatchTask
{
    public const long Needle = 256;
    public const long Query = 257;
    private const int Symbols = 258;

    private readonly int digits;
    private readonly int keys;
    private readonly int values;
    private readonly int total;
    private readonly int minDistance;
    private readonly double depthMin;
    private readonly double depthMax;
    private readonly byte[]? filler;

    /// <summary>The rules of passkey's keys; one-line ConfigException naming them.</summary>
    public static void Validate(TaskConfig config)
    {
        if (config.DepthMin > config.DepthMax)
            throw new ConfigException($"'task.depth_min' = {config.DepthMin} must not exceed 'task.depth_max' = {config.DepthMax}");
        var needed = MinimumLength(config.PasskeyDigits, config.MinDistance, config.PasskeyKeys, config.PasskeyValues);
        if (config.SeqLen < needed)
            throw new ConfigException(config.PasskeyKeys == 1 && config.PasskeyValues == 1
                ? $"'task.seq_len' = {config.SeqLen} is too short for passkey: needs at least 2*(passkey_digits+1) + min_distance = {needed} tokens"
                : $"'task.seq_len' = {config.SeqLen} is too short for passkey with {config.PasskeyKeys} keys and {config.PasskeyValues} values: needs at least {needed} tokens (the question, min_distance, and 2 needle lengths for each of the passkey_keys-1+passkey_values needles)");
    }

    /// <summary>Tokens of one needle (and of the question): marker, the name when there are several keys, k digits.</summary>
    public static int NeedleLength(int digits, int keys) => digits + (keys > 1 ? 2 : 1);

    /// <summary>Tokens of the question: marker, the name when there are several keys, V·k digits.</summary>
    public static int QuestionLength(int digits, int keys, int values) => NeedleLength(digits, keys) + (values - 1) * digits;

    /// <summary>
    /// The shortest example: the question, the gap and room for the needles: 2(k+1) + min_distance
    /// tokens for one needle; for m = K-1+V needles of n tokens, 2mn before the gap (so a needle
    /// placed at random always finds a free place) plus the question and min_distance.
    /// </summary>
    public static int MinimumLength(int digits, int minDistance, int keys = 1, int values = 1)
    {
        var (n, needles) = (NeedleLength(digits, keys), keys - 1 + values);
        return QuestionLength(digits, keys, values) + minDistance + (needles > 1 ? 2 * needles * n : n);
    }

    public PasskeyTask(TaskConfig config, long seed) : base(seed, config.EvalExamples)
    {
        Validate(config);
        digits = config.PasskeyDigits;
        keys = config.PasskeyKeys;
        values = config.PasskeyValues;
        total = config.SeqLen;
        minDistance = config.MinDistance;
        depthMin = config.DepthMin;
        depthMax = config.DepthMax;
        filler = config.FillerPath == "" ? null : TextFiller.Read(config.FillerPath);
        Spec = new TaskSpec(Symbols, 0, TaskOutput.PerToken, Symbols, Causal: true, MaxLength: total - 1);
    }

    public override string Name => "passkey";

    public override TaskSpec Spec { get; }

    /// <summary>Latest start of a needle: its tokens end min_distance tokens before the question.</summary>
    public int LatestNeedleStart => total - QuestionLength(digits, keys, values) - NeedleLength(digits, keys) - minDistance;

    public override SequenceExample Generate(SeededRandom random)
    {
        var tokens = new long[total];
        if (filler is null)
        {
            for (var i = 0; i < total; i++) tokens[i] = '0' + random.Next(10);
        }
        else
        {
            TextFiller.Fill(tokens, filler, random);
        }
        var n = NeedleLength(digits, keys);
        var names = keys > 1 ? DistinctLetters(random, keys) : [];
        // Needles 0..V-1 state the asked key (name 0), needles V.. the K-1 distractor keys.
        var needles = values + keys - 1;
        var digitsOf = new long[needles][];
        for (var j = 0; j < needles; j++)
        {
            digitsOf[j] = new long[digits];
            for (var i = 0; i < digits; i++) digitsOf[j][i] = '0' + random.Next(10);
        }

        // Needle 0, the asked key's first value, at the drawn depth; the others wherever they fit.
        var depth = depthMin + (depthMax - depthMin) * random.NextDouble();
        var starts = new List<int> { (int)Math.Round(depth * LatestNeedleStart) };
        for (var j = 1; j < needles; j++) starts.Add(FreeStart(random, starts, n));
        for (var j = 0; j < needles; j++)
            Write(tokens, starts[j], Needle, keys > 1 ? names[j < values ? 0 : j - values + 1] : null, digitsOf[j]);

        // The question lists the asked key's values in the order its needles appear.
        var answer = Enumerable.Range(0, values).OrderBy(j => starts[j]).SelectMany(j => digitsOf[j]).ToArray();
        var queryAt = total - QuestionLength(digits, keys, values);
        Write(tokens, queryAt, Query, keys > 1 ? names[0] : null, answer);
        // Scored[j] scores predicting tokens[j+1]: the V·k digits at the end.
        var scored = new bool[total - 1];
        for (var j = total - 1 - answer.Length; j < total - 1; j++) scored[j] = true;
        return new SequenceExample(tokens, scored);
    }

    /// <summary>Writes [marker (name) digits] at position at.</summary>
    private static void Write(long[] tokens, int at, long marker, long? name, long[] digits)
    {
        tokens[at] = marker;
        if (name is { } letter) tokens[++at] = letter;
        Array.Copy(digits, 0, tokens, at + 1, digits.Length);
    }

    /// <summary>count distinct letters 'a'..'z' in random order (a partial Fisher-Yates shuffle).</summary>
    private static long[] DistinctLetters(SeededRandom random, int count)
    {
        var letters = Enumerable.Range('a', 26).Select(c => (long)c).ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = i + random.Next(26 - i);
            (letters[i], letters[j]) = (letters[j], letters[i]);
        }
        return letters[..count];
    }

    /// <summary>
    /// A start in [0, LatestNeedleStart] whose n tokens overlap no placed needle: a few random
    /// draws, then the first free start after a random one. One always exists: each placed needle
    /// rules out fewer than 2n starts and the range holds at least 2mn - n + 1 for m needles (MinimumLength).
    /// </summary>
    private int FreeStart(SeededRandom random, List<int> placed, int n)
    {
        bool Free(int start) => placed.All(p => start + n <= p || p + n <= start);
        var range = LatestNeedleStart + 1;
        for (var attempt = 0; attempt < 16; attempt++)
        {
            var start = random.Next(range);
            if (Free(start)) return start;
        }
        var first = random.Next(range);
        for (var i = 0; i < range; i++)
            if (Free((first + i) % range)) return (first + i) % range;
        throw new InvalidOperationException("no free place for a distractor needle; MinimumLength guarantees one");
    }
}
