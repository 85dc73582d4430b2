using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.Text;

namespace Nsm.Tasks;

/// <summary>
/// Copy after a delay: <c>x_1..x_L, blank*delay, SEP, x_1..x_L</c>; only the copied x's are
/// scored. With delay + L larger than a model's local window, only long-range memory (state
/// slots, recurrence or full attention) can solve it.
/// Token ids: content 0..V-1, BLANK = V, SEP = V+1.
/// </summary>
public sealed class CopyTask : SyntheticSequenceTask
{
    private const string Symbols = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private readonly int vocab;
    private readonly int length;
    private readonly int delay;

    public CopyTask(TaskConfig config, long seed) : base(seed, config.EvalExamples)
    {
        vocab = config.VocabSize;
        length = config.SeqLen;
        delay = config.Delay;
        var total = 2 * length + delay + 1;
        Spec = new TaskSpec(vocab + 2, 0, TaskOutput.PerToken, vocab + 2, Causal: true, MaxLength: total - 1);
        Tokenizer = vocab <= Symbols.Length ? new CharTokenizer(Symbols[..vocab] + ".|") : null;
    }

    public override string Name => "copy";

    public override TaskSpec Spec { get; }

    public override ITokenizer? Tokenizer { get; }

    public long Blank => vocab;

    public long Separator => vocab + 1;

    public override SequenceExample Generate(SeededRandom random)
    {
        var total = 2 * length + delay + 1;
        var tokens = new long[total];
        for (var i = 0; i < length; i++) tokens[i] = random.Next(vocab);
        for (var i = length; i < length + delay; i++) tokens[i] = Blank;
        tokens[length + delay] = Separator;
        Array.Copy(tokens, 0, tokens, length + delay + 1, length);
        var scored = new bool[total - 1];
        for (var j = length + delay; j < total - 1; j++) scored[j] = true;
        return new SequenceExample(tokens, scored);
    }
}
