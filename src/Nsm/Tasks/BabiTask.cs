using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.Babi;

namespace Nsm.Tasks;

/// <summary>
/// bAbI question answering. With task.data_path, reads <c>qaN_*_train.txt</c> / <c>qaN_*_test.txt</c>
/// (N = task.babi_task) from that folder; without it, generates tasks 1-3 offline
/// (<see cref="BabiGenerator"/>: num_train training questions, eval_examples validation and test
/// questions, from task.data_seed). The input is the story's last max_sentences statements, a
/// <c>&lt;q&gt;</c> marker and the question, as word tokens (0 = padding, 1 = unknown, 2 = &lt;q&gt;,
/// then the training words in ordinal order).
/// task.babi_answer = "classify": one class per distinct training answer (non-causal);
/// "next_token": the answer word follows the question and is the only scored next-token target (causal).
/// </summary>
public sealed class BabiTask : DatasetTask
{
    private const int UnknownId = 1;

    private readonly bool nextToken;
    private readonly PackedSequences train;
    private readonly PackedSequences eval;

    public BabiTask(TaskConfig config, long seed) : base(seed, config.MaxEvalExamples)
    {
        nextToken = config.BabiAnswer == BabiAnswer.NextToken;
        var (trainExamples, validation, test, source) = Load(config);
        var evalExamples = config.EvalSplit == EvalSplit.Validation ? validation : test;
        if (evalExamples.Count == 0) throw new ConfigException($"'task.eval_split' = \"{ConfigEnums.Name(config.EvalSplit)}\" has no bAbI questions; raise 'task.validation_fraction'");

        var words = trainExamples.SelectMany(e => e.Story.SelectMany(s => s).Concat(e.Question)).Distinct(StringComparer.Ordinal).ToList();
        var answers = trainExamples.Select(e => e.Answer).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (nextToken) words.AddRange(answers);
        Words = ["<pad>", "<unk>", "<q>", .. words.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        Answers = answers;
        var ids = Words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
        var classes = answers.Select((a, i) => (a, i)).ToDictionary(p => p.a, p => p.i, StringComparer.Ordinal);

        PackedSequences Pack(IReadOnlyList<BabiExample> examples)
        {
            var packed = new PackedSequences();
            foreach (var e in examples)
            {
                if (!classes.TryGetValue(e.Answer, out var answer))
                    throw new InvalidDataException($"{source}: answer '{e.Answer}' never occurs in the training questions");
                var sentences = config.MaxSentences > 0 ? e.Story.TakeLast(config.MaxSentences) : e.Story;
                var tokens = sentences.SelectMany(s => s).Append("<q>").Concat(e.Question).Select(w => ids.GetValueOrDefault(w, UnknownId)).ToList();
                if (nextToken) tokens.Add(ids[e.Answer]);
                packed.Add(tokens.ToArray(), nextToken ? ids[e.Answer] : answer);
            }
            return packed;
        }
        train = Pack(trainExamples);
        eval = Pack(evalExamples);
        var longest = Math.Max(train.MaxLength, eval.MaxLength);
        Spec = nextToken
            ? new TaskSpec(Words.Count, 0, TaskOutput.PerToken, Words.Count, Causal: true, MaxLength: longest - 1)
            : new TaskSpec(Words.Count, 0, TaskOutput.Classification, answers.Length, Causal: false, MaxLength: longest);
    }

    public override string Name => "babi";

    public override TaskSpec Spec { get; }

    /// <summary>Token id -> word.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Class id -> answer (classify mode).</summary>
    public IReadOnlyList<string> Answers { get; }

    public override int TrainCount => train.Count;

    public override int EvalSplitCount => eval.Count;

    protected override Batch Collate(bool isEval, IReadOnlyList<int> indices, Device device)
    {
        var set = isEval ? eval : train;
        if (!nextToken) return SequenceClassificationTask.Pad(set, indices, device);
        // Next-token form: inputs s[0..n-2], targets s[1..n-1], only the answer (the last target) scored.
        var b = indices.Count;
        var length = indices.Max(set.Length) - 1;
        var inputs = new long[b * length];
        var targets = new long[b * length];
        var loss = new bool[b * length];
        var real = new bool[b * length];
        var sequence = new long[length + 1];
        for (var i = 0; i < b; i++)
        {
            var n = set.Length(indices[i]);
            set.CopyTo(indices[i], sequence);
            for (var t = 0; t < n - 1; t++)
            {
                inputs[i * length + t] = sequence[t];
                targets[i * length + t] = sequence[t + 1];
                real[i * length + t] = true;
            }
            loss[i * length + n - 2] = true;
        }
        return new Batch(tensor(inputs, [b, length]).to(device), tensor(targets, [b, length]).to(device),
            tensor(loss, [b, length]).to(device), tensor(real, [b, length]).to(device));
    }

    /// <summary>The rules that tie babi's keys together.</summary>
    public static void Validate(TaskConfig config)
    {
        if (config.DataPath.Length == 0 && config.BabiTask > 3)
            throw new ConfigException($"'task.babi_task' = {config.BabiTask}: the offline generator makes tasks 1-3; set 'task.data_path' to a folder of bAbI files for the others");
    }

    private static (List<BabiExample> Train, List<BabiExample> Validation, List<BabiExample> Test, string Source) Load(TaskConfig config)
    {
        if (config.DataPath.Length == 0)
        {
            Validate(config);
            List<BabiExample> Generate(int stream, int questions) =>
                BabiReader.Parse(new BabiGenerator(config.BabiTask, new SeededRandom(config.DataSeed, stream)).Lines(questions), $"generated task {config.BabiTask}")
                    .Take(questions).ToList();
            return (Generate(3, config.NumTrain), Generate(2, config.EvalExamples), Generate(1, config.EvalExamples), $"generated task {config.BabiTask}");
        }
        if (!Directory.Exists(config.DataPath))
            throw new ConfigException($"'task.data_path' = \"{config.DataPath}\" is not a folder (expected bAbI files such as qa1_single-supporting-fact_train.txt)");
        var (trainPath, testPath) = BabiReader.FindTaskFiles(config.DataPath, config.BabiTask);
        var all = BabiReader.ReadFile(trainPath);
        var test = BabiReader.ReadFile(testPath);
        if (all.Count == 0) throw new InvalidDataException($"{trainPath}: no questions");
        var order = Enumerable.Range(0, all.Count).ToArray();
        new SeededRandom(config.DataSeed, 0xBAB1).Shuffle(order);
        var held = (int)Math.Round(all.Count * config.ValidationFraction);
        var validation = order[..held].Order().Select(i => all[i]).ToList();
        var train = order[held..].Order().Select(i => all[i]).ToList();
        return (train, validation, test, testPath);
    }
}
