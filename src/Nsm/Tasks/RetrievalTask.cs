using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.Documents;

namespace Nsm.Tasks;

/// <summary>
/// Byte-level document matching in the file format of LRA Retrieval (ACL Anthology Network
/// citation pairs): a folder with <c>new_aan_pairs.train.tsv</c>, <c>new_aan_pairs.eval.tsv</c> and
/// <c>new_aan_pairs.test.tsv</c> (see <see cref="DocumentPairs"/>); two classes. task.eval_split
/// "validation" evaluates on the eval file, "test" on the test file.
/// LRA's Retrieval model is two-tower: each document is encoded on its own and the two
/// encodings are combined for the classifier. This task instead concatenates the pair
/// (text1, separator, text2, each side cut to (max_length - 1) / 2 bytes) for one encoder, which
/// lets the model attend across the documents; its accuracies are not comparable with
/// published LRA Retrieval numbers.
/// </summary>
public sealed class RetrievalTask : SequenceClassificationTask
{
    /// <summary>File name prefix of LRA's AAN pair files.</summary>
    public const string FilePrefix = "new_aan_pairs";

    private readonly PackedSequences train;
    private readonly Lazy<PackedSequences> eval;

    /// <summary>max_length must leave each text at least one byte beside the separator.</summary>
    public static void Validate(TaskConfig config)
    {
        if (DocumentPairs.SideLength(config.MaxLength) < 1)
            throw new ConfigException($"'task.max_length' = {config.MaxLength} leaves no bytes for the texts of a retrieval pair (each side gets (max_length - 1) / 2); use at least 3");
    }

    public RetrievalTask(TaskConfig config, long seed) : base(seed, config.MaxEvalExamples)
    {
        Validate(config);
        var folder = config.DataPath;
        if (folder.Length == 0) throw new ConfigException($"'task.data_path' must name a folder with {FilePrefix}.train.tsv, .eval.tsv and .test.tsv");
        if (!Directory.Exists(folder)) throw new ConfigException($"'task.data_path' = \"{folder}\" is not a folder (expected {FilePrefix}.train.tsv, .eval.tsv and .test.tsv)");
        var trainPath = Find(folder, "train");
        var evalPath = Find(folder, config.EvalSplit == EvalSplit.Validation ? "eval" : "test");
        train = DocumentPairs.Pack(DocumentPairs.Read(trainPath), config.MaxLength);
        eval = new Lazy<PackedSequences>(() => DocumentPairs.Pack(DocumentPairs.Read(evalPath), config.MaxLength));
        Spec = new TaskSpec(DocumentPairs.VocabSize, 0, TaskOutput.Classification, 2, Causal: false, MaxLength: config.MaxLength);
    }

    public override string Name => "retrieval";

    public override TaskSpec Spec { get; }

    protected override PackedSequences TrainSet => train;

    protected override PackedSequences EvalSet => eval.Value;

    private static string Find(string folder, string split)
    {
        var path = Path.Combine(folder, $"{FilePrefix}.{split}.tsv");
        return File.Exists(path) ? path : throw new ConfigException($"'task.data_path': {FilePrefix}.{split}.tsv does not exist in {folder}");
    }
}
