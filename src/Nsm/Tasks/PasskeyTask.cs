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
/// Token ids: bytes 0..255 (digits are '0'..'9'), NEEDLE = 256, QUERY = 257.
/// </summary>
public sealed class PasskeyTask : SyntheticSequenceTask, IExactMatchTask
{
    public const long Needle = 256;
    public const long Query = 257;
    private const int Symbols = 258;

    private readonly int digits;
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
        var needed = MinimumLength(config.PasskeyDigits, config.MinDistance);
        if (config.SeqLen < needed)
            throw new ConfigException($"'task.seq_len' = {config.SeqLen} is too short for passkey: needs at least 2*(passkey_digits+1) + min_distance = {needed} tokens");
    }

    /// <summary>The filler file's bytes (read when the task is built, as datasets are); one-line ConfigException when it is missing or empty.</summary>
    private static byte[] ReadFiller(string path)
    {
        if (!File.Exists(path))
            throw new ConfigException($"'task.filler_path' = \"{path}\": no such file");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0)
            throw new ConfigException($"'task.filler_path' = \"{path}\" is empty");
        return bytes;
    }

    /// <summary>Needle, question and the gap between them: 2(k+1) + min_distance tokens.</summary>
    public static int MinimumLength(int digits, int minDistance) => 2 * (digits + 1) + minDistance;

    public PasskeyTask(TaskConfig config, long seed) : base(seed, config.EvalExamples)
    {
        Validate(config);
        digits = config.PasskeyDigits;
        total = config.SeqLen;
        minDistance = config.MinDistance;
        depthMin = config.DepthMin;
        depthMax = config.DepthMax;
        filler = config.FillerPath == "" ? null : ReadFiller(config.FillerPath);
        Spec = new TaskSpec(Symbols, 0, TaskOutput.PerToken, Symbols, Causal: true, MaxLength: total - 1);
    }

    public override string Name => "passkey";

    public override TaskSpec Spec { get; }

    /// <summary>Latest start of the needle: its k+1 tokens end min_distance tokens before the question.</summary>
    public int LatestNeedleStart => total - (digits + 1) - minDistance - (digits + 1);

    public override SequenceExample Generate(SeededRandom random)
    {
        var tokens = new long[total];
        if (filler is null)
        {
            for (var i = 0; i < total; i++) tokens[i] = '0' + random.Next(10);
        }
        else
        {
            var offset = random.Next(filler.Length);
            for (var i = 0; i < total; i++) tokens[i] = filler[(offset + i) % filler.Length];
        }

        var key = new long[digits];
        for (var i = 0; i < digits; i++) key[i] = '0' + random.Next(10);

        var depth = depthMin + (depthMax - depthMin) * random.NextDouble();
        var needleAt = (int)Math.Round(depth * LatestNeedleStart);
        tokens[needleAt] = Needle;
        Array.Copy(key, 0, tokens, needleAt + 1, digits);

        var queryAt = total - digits - 1;
        tokens[queryAt] = Query;
        Array.Copy(key, 0, tokens, queryAt + 1, digits);

        // Scored[j] scores predicting tokens[j+1]: the k digits after QUERY.
        var scored = new bool[total - 1];
        for (var j = queryAt; j < total - 1; j++) scored[j] = true;
        return new SequenceExample(tokens, scored);
    }
}
