using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.Documents;

namespace Nsm.Tasks;

/// <summary>
/// Byte-level document classification (LRA Text style) from a folder with <c>train.tsv</c> and
/// <c>test.tsv</c> (or <c>.csv</c>) of (text, label) rows: UTF-8 bytes as tokens, truncated to
/// task.max_length and padded per batch with a padding mask. A task.validation_fraction of the
/// training rows (chosen by task.data_seed) is held out as the validation split.
/// </summary>
public sealed class DocumentClassificationTask : SequenceClassificationTask
{
    private readonly PackedSequences train;
    private readonly Lazy<PackedSequences> eval;

    public DocumentClassificationTask(TaskConfig config, long seed) : base(seed, config.MaxEvalExamples)
    {
        var folder = config.DataPath;
        if (folder.Length == 0) throw new ConfigException("'task.data_path' must name a folder with train.tsv and test.tsv (or .csv) of text and label columns");
        if (!Directory.Exists(folder)) throw new ConfigException($"'task.data_path' = \"{folder}\" is not a folder (expected train.tsv and test.tsv, or .csv)");
        var trainPath = Find(folder, "train");
        var testPath = Find(folder, "test");
        var rows = DocumentSet.ReadRows(trainPath);
        var order = Enumerable.Range(0, rows.Count).ToArray();
        new SeededRandom(config.DataSeed, 0xD0C).Shuffle(order);
        var held = (int)Math.Round(rows.Count * config.ValidationFraction);
        var validationRows = order[..held].Order().Select(i => rows[i]).ToList();
        var trainRows = order[held..].Order().Select(i => rows[i]).ToList();
        if (trainRows.Count == 0) throw new ConfigException($"'task.validation_fraction' = {config.ValidationFraction} leaves no training rows");
        if (config.EvalSplit == EvalSplit.Validation && validationRows.Count == 0)
            throw new ConfigException("'task.eval_split' = \"validation\" needs 'task.validation_fraction' > 0");
        Classes = DocumentSet.Classes(trainRows.Select(r => r.Label), config.NumClasses, trainPath);
        train = DocumentSet.Pack(trainRows, Classes, config.MaxLength, trainPath);
        eval = new Lazy<PackedSequences>(() => config.EvalSplit == EvalSplit.Validation
            ? DocumentSet.Pack(validationRows, Classes, config.MaxLength, trainPath)
            : DocumentSet.Pack(DocumentSet.ReadRows(testPath), Classes, config.MaxLength, testPath));
        Spec = new TaskSpec(DocumentSet.VocabSize, 0, TaskOutput.Classification, Classes.Count, Causal: false, MaxLength: config.MaxLength);
    }

    public override string Name => "documents";

    public override TaskSpec Spec { get; }

    /// <summary>Label text -> class id.</summary>
    public IReadOnlyDictionary<string, int> Classes { get; }

    protected override PackedSequences TrainSet => train;

    protected override PackedSequences EvalSet => eval.Value;

    private static string Find(string folder, string split)
    {
        foreach (var ext in new[] { "tsv", "csv" })
        {
            var path = Path.Combine(folder, $"{split}.{ext}");
            if (File.Exists(path)) return path;
        }
        throw new ConfigException($"'task.data_path': neither {split}.tsv nor {split}.csv exists in {folder}");
    }
}
