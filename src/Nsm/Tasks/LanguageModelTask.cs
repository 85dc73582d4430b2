using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Data;

namespace Nsm.Tasks;

/// <summary>
/// Next-token language modelling over a token array. Training batches are windows of seq_len + 1
/// tokens at random offsets of the training tokens (drawn from (seed, step)); evaluation reads
/// the held-out tokens as consecutive, non-overlapping windows, so each held-out token after the
/// first is predicted once (up to task.max_eval_examples windows). Every target is scored.
/// Inputs (B, seq_len) int64, targets (B, seq_len) int64.
/// </summary>
public sealed class LanguageModelTask : ITask, ITextTask
{
    private readonly long seed;
    private readonly int length;
    private readonly int maxEvalWindows;
    private readonly int[] train;
    private readonly Lazy<(int[] Tokens, long Characters)> eval;

    /// <param name="name">Task name.</param>
    /// <param name="tokenizer">Text form of the tokens; its VocabSize is the model's vocabulary.</param>
    /// <param name="train">Training tokens (at least seq_len + 1).</param>
    /// <param name="loadEval">Held-out tokens and the number of characters of text they encode (read on first use).</param>
    /// <param name="seqLen">Window length.</param>
    /// <param name="seed">Seed of the training windows.</param>
    /// <param name="maxEvalWindows">At most this many evaluation windows (0 = all).</param>
    public LanguageModelTask(string name, ITokenizer tokenizer, int[] train, Func<(int[] Tokens, long Characters)> loadEval, int seqLen, long seed, int maxEvalWindows)
    {
        if (train.Length < seqLen + 1)
            throw new ConfigException($"'task.seq_len' = {seqLen} is longer than the training text ({train.Length} tokens)");
        Name = name;
        Tokenizer = tokenizer;
        this.train = train;
        eval = new Lazy<(int[], long)>(loadEval);
        length = seqLen;
        this.seed = seed;
        this.maxEvalWindows = maxEvalWindows;
        Spec = new TaskSpec(tokenizer.VocabSize, 0, TaskOutput.PerToken, tokenizer.VocabSize, Causal: true, MaxLength: seqLen);
    }

    public string Name { get; }

    public TaskSpec Spec { get; }

    public ITokenizer Tokenizer { get; }

    ITokenizer? ITask.Tokenizer => Tokenizer;

    public int TrainTokens => train.Length;

    /// <summary>Held-out tokens (reads them on first use).</summary>
    public int EvalTokens => eval.Value.Tokens.Length;

    /// <summary>Evaluation windows one pass uses.</summary>
    public int EvalWindows
    {
        get
        {
            var all = (eval.Value.Tokens.Length - 1) / length;
            return maxEvalWindows > 0 ? Math.Min(all, maxEvalWindows) : all;
        }
    }

    /// <summary>Characters per held-out token: the held-out text's length over its token count.</summary>
    public double CharactersPerToken => (double)eval.Value.Characters / eval.Value.Tokens.Length;

    /// <inheritdoc />
    public double BitsPerCharacter(double lossPerToken) => lossPerToken / CharactersPerToken / Math.Log(2);

    public Batch TrainBatch(long step, int batchSize, Device device)
    {
        var random = new SeededRandom(seed, step + 1);
        var starts = new int[batchSize];
        for (var i = 0; i < batchSize; i++) starts[i] = random.Next(train.Length - length);
        return Windows(train, starts, device);
    }

    public IEnumerable<Batch> EvalBatches(int batchSize, Device device)
    {
        var tokens = eval.Value.Tokens;
        var windows = EvalWindows;
        for (var start = 0; start < windows; start += batchSize)
        {
            var starts = Enumerable.Range(start, Math.Min(batchSize, windows - start)).Select(w => w * length).ToArray();
            yield return Windows(tokens, starts, device);
        }
    }

    private Batch Windows(int[] tokens, int[] starts, Device device)
    {
        var b = starts.Length;
        var inputs = new long[b * length];
        var targets = new long[b * length];
        for (var i = 0; i < b; i++)
        {
            for (var t = 0; t < length; t++)
            {
                inputs[i * length + t] = tokens[starts[i] + t];
                targets[i * length + t] = tokens[starts[i] + t + 1];
            }
        }
        return new Batch(tensor(inputs, [b, length]).to(device), tensor(targets, [b, length]).to(device));
    }
}
