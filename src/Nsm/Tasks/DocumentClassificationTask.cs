using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.Documents;

namespace Nsm.Tasks;

/// <summary>
/// Byte-level document classification (LRA Text style) from a folder with <c>train.tsv</c> and
/// <c>test.tsv</c> (or <c>.csv</c>) of (text, label) rows, or from a folder in the aclImdb layout
/// (<c>train/&lt;label&gt;/*.txt</c>, <c>test/&lt;label&gt;/*.txt</c>; see <see cref="AclImdbLayout"/>):
/// UTF-8 bytes as tokens, truncated to task.max_length and padded per batch with a padding mask.
/// A task.validation_fraction of the training rows (chosen by task.data_seed) is held out as the
/// validation split. The two layouts of the same documents give the same tokens and labels.
/// </summary>
public sealed class DocumentClassificationTask : SequenceClassificationTask
{
    private const string Expected = "train.tsv and test.tsv (or .csv) of text and label columns, or the aclImdb layout train/<label>/*.txt and test/<label>/*.txt";

    private readonly PackedSequences train;
    private readonly Lazy<PackedSequences> eval;

    public DocumentClassificationTask(TaskConfig config, long seed) : base(seed, config.MaxEvalExamples)
    {
        var folder = config.DataPath;
        if (folder.Length == 0) throw new ConfigException($"'task.data_path' must name a folder with {Expected}");
        if (!Directory.Exists(folder)) throw new ConfigException($"'task.data_path' = \"{folder}\" is not a folder (expected {Expected})");
        var source = Source.Open(folder);
        var rows = source.ReadTrain();
        var order = Enumerable.Range(0, rows.Count).ToArray();
        new SeededRandom(config.DataSeed, 0xD0C).Shuffle(order);
        var held = (int)Math.Round(rows.Count * config.ValidationFraction);
        var validationRows = order[..held].Order().Select(i => rows[i]).ToList();
        var trainRows = order[held..].Order().Select(i => rows[i]).ToList();
        if (trainRows.Count == 0) throw new ConfigException($"'task.validation_fraction' = {config.ValidationFraction} leaves no training rows");
        if (config.EvalSplit == EvalSplit.Validation && validationRows.Count == 0)
            throw new ConfigException("'task.eval_split' = \"validation\" needs 'task.validation_fraction' > 0");
        Classes = DocumentSet.Classes(trainRows.Select(r => r.Label), config.NumClasses, source.TrainPath);
        source.CheckLabels(rows, Classes, config.NumClasses, source.TrainPath);
        train = DocumentSet.Pack(trainRows, Classes, config.MaxLength, source.TrainPath);
        eval = new Lazy<PackedSequences>(() =>
        {
            if (config.EvalSplit == EvalSplit.Validation) return DocumentSet.Pack(validationRows, Classes, config.MaxLength, source.TrainPath);
            var testRows = source.ReadTest();
            source.CheckLabels(testRows, Classes, config.NumClasses, source.TestPath);
            return DocumentSet.Pack(testRows, Classes, config.MaxLength, source.TestPath);
        });
        Spec = new TaskSpec(DocumentSet.VocabSize, 0, TaskOutput.Classification, Classes.Count, Causal: false, MaxLength: config.MaxLength);
    }

    public override string Name => "documents";

    public override TaskSpec Spec { get; }

    /// <summary>Label text -> class id.</summary>
    public IReadOnlyDictionary<string, int> Classes { get; }

    protected override PackedSequences TrainSet => train;

    protected override PackedSequences EvalSet => eval.Value;

    /// <summary>Where the rows of the two splits come from: delimited files, or aclImdb folders.</summary>
    private sealed record Source(string Folder, string TrainPath, string TestPath, bool FolderLabels)
    {
        public static Source Open(string folder)
        {
            var trainFile = Find(folder, "train");
            if (trainFile is not null)
                return new Source(folder, trainFile, Find(folder, "test") ?? throw new ConfigException($"'task.data_path': neither test.tsv nor test.csv exists in {folder}"), false);
            if (AclImdbLayout.Matches(folder))
                return new Source(folder, Path.Combine(folder, "train"), Path.Combine(folder, "test"), true);
            throw new ConfigException($"'task.data_path': {folder} has neither train.tsv (or .csv) nor the aclImdb folders train/ and test/");
        }

        public List<(int Line, string Text, string Label)> ReadTrain() =>
            FolderLabels ? AclImdbLayout.ReadSplit(Folder, "train") : DocumentSet.ReadRows(TrainPath);

        public List<(int Line, string Text, string Label)> ReadTest() =>
            FolderLabels ? AclImdbLayout.ReadSplit(Folder, "test") : DocumentSet.ReadRows(TestPath);

        /// <summary>
        /// Folder labels are checked here, before packing, so that a bad one names its folder
        /// rather than a row position that is no line of any file.
        /// </summary>
        public void CheckLabels(IEnumerable<(int Line, string Text, string Label)> rows, IReadOnlyDictionary<string, int> classes, int numClasses, string splitPath)
        {
            if (!FolderLabels) return;
            foreach (var label in rows.Select(r => r.Label).Distinct(StringComparer.Ordinal))
            {
                if (classes.ContainsKey(label)) continue;
                throw new ConfigException(numClasses > 0
                    ? $"'task.num_classes' = {numClasses} needs class folders named 0..{numClasses - 1}; {splitPath} has a folder {label}/"
                    : $"'task.data_path': {Path.Combine(splitPath, label)} is a class the training split does not have ({string.Join(", ", classes.Keys)})");
            }
        }

        private static string? Find(string folder, string split)
        {
            foreach (var ext in new[] { "tsv", "csv" })
            {
                var path = Path.Combine(folder, $"{split}.{ext}");
                if (File.Exists(path)) return path;
            }
            return null;
        }
    }
}
