using Nsm.Config;
using Nsm.Core;
using Nsm.Data;

namespace Nsm.Tasks;

/// <summary>
/// Repeat copy (Neural Turing Machine paper, section 4.2): a sequence x of <c>seq_len</c> tokens,
/// a marker, a token saying how often to repeat (r uniform in 1..max_repeats), then x repeated
/// r times and an END token. The r copies and END are scored; blanks pad every example to the
/// length of the longest repetition so batches need no padding mask.
/// Token ids: content 0..V-1, BLANK = V, SEP = V+1, END = V+2, "repeat r times" = V+2+r.
/// Length seq_len + 2 + seq_len * max_repeats + 1.
/// </summary>
public sealed class RepeatCopyTask : SyntheticSequenceTask
{
    private readonly int vocab;
    private readonly int length;
    private readonly int maxRepeats;

    public RepeatCopyTask(TaskConfig config, long seed) : base(seed, config.EvalExamples)
    {
        vocab = config.VocabSize;
        length = config.SeqLen;
        maxRepeats = config.MaxRepeats;
        var symbols = vocab + 3 + maxRepeats;
        Spec = new TaskSpec(symbols, 0, TaskOutput.PerToken, symbols, Causal: true, MaxLength: TotalLength - 1);
    }

    public override string Name => "repeat_copy";

    public override TaskSpec Spec { get; }

    public long Blank => vocab;

    public long Separator => vocab + 1;

    public long End => vocab + 2;

    /// <summary>The token that asks for r repetitions (1 &lt;= r &lt;= max_repeats).</summary>
    public long RepeatToken(int r) => vocab + 2 + r;

    private int TotalLength => length + 2 + length * maxRepeats + 1;

    public override SequenceExample Generate(SeededRandom random)
    {
        var tokens = new long[TotalLength];
        Array.Fill(tokens, Blank);
        for (var i = 0; i < length; i++) tokens[i] = random.Next(vocab);
        var repeats = random.Next(1, maxRepeats + 1);
        tokens[length] = Separator;
        tokens[length + 1] = RepeatToken(repeats);
        for (var r = 0; r < repeats; r++) Array.Copy(tokens, 0, tokens, length + 2 + r * length, length);
        var end = length + 2 + repeats * length;
        tokens[end] = End;
        var scored = new bool[TotalLength - 1];
        // From the repeat token (which predicts the first copied token) up to the token predicting END.
        for (var j = length + 1; j < end; j++) scored[j] = true;
        return new SequenceExample(tokens, scored);
    }
}
