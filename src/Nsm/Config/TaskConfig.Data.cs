using System.Text.Json.Serialization;
using Nsm.Core;

namespace Nsm.Config;

/// <summary>
/// Settings of the generated tasks beyond copy (selective copy, repeat copy, associative recall,
/// MQAR, ListOps, bAbI) and of the file-backed datasets (images, text, documents). See
/// docs/datasets.md for which task reads which key.
/// </summary>
public sealed partial record TaskConfig
{
    /// <summary>selective_copy: content tokens scattered among the <c>seq_len</c> positions (Mamba paper: 16 in 4096). Default 4.</summary>
    [JsonPropertyName("num_tokens"), ConfigRange(1, 1_000_000), ForTasks("selective_copy")]
    public int NumTokens { get; init; } = 4;

    /// <summary>repeat_copy: the number of repetitions is drawn uniformly from 1..max_repeats (NTM paper). Default 3.</summary>
    [JsonPropertyName("max_repeats"), ConfigRange(1, 1000), ForTasks("repeat_copy")]
    public int MaxRepeats { get; init; } = 3;

    /// <summary>associative_recall, mqar: key-value pairs shown before the queries. Default 8.</summary>
    [JsonPropertyName("num_pairs"), ConfigRange(1, 1_000_000), ForTasks("associative_recall", "mqar")]
    public int NumPairs { get; init; } = 8;

    /// <summary>mqar: queries of earlier keys (distinct keys); 0 queries every key once (Zoology). Default 0.</summary>
    [JsonPropertyName("num_queries"), ConfigRange(0, 1_000_000), ForTasks("mqar")]
    public int NumQueries { get; init; }

    /// <summary>associative_recall, mqar: number of distinct key tokens (keys of one sequence are distinct). Default 32.</summary>
    [JsonPropertyName("key_vocab"), ConfigRange(1, 1_000_000), ForTasks("associative_recall", "mqar")]
    public int KeyVocab { get; init; } = 32;

    /// <summary>associative_recall, mqar: number of distinct value tokens. Default 32.</summary>
    [JsonPropertyName("value_vocab"), ConfigRange(1, 1_000_000), ForTasks("associative_recall", "mqar")]
    public int ValueVocab { get; init; } = 32;

    /// <summary>
    /// mqar: exponent a of Zoology's query-gap distribution p(g) ∝ a·g^(a-1) over the query slots;
    /// 0.01 (Zoology's default) puts most queries soon after the pairs, 1 spreads them uniformly. Default 0.01.
    /// </summary>
    [JsonPropertyName("query_gap_power"), ConfigRange(0.0001, 1), ForTasks("mqar")]
    public double QueryGapPower { get; init; } = 0.01;

    /// <summary>
    /// Seed of generated datasets (listops, pathfinder, babi generator) and of the train/validation split of
    /// file datasets; independent of train.seed, so runs with different seeds see the same data. Default 1234.
    /// </summary>
    [JsonPropertyName("data_seed"), ConfigRange(0, int.MaxValue), ForTasks("listops", "pathfinder", "mnist", "fashion_mnist", "cifar10", "babi", "documents")]
    public int DataSeed { get; init; } = 1234;

    /// <summary>
    /// Which held-out split evaluation uses: "test" or "validation" (held out from the training
    /// data; retrieval: its eval file). Default "test".
    /// </summary>
    [JsonPropertyName("eval_split"), ForTasks("listops", "pathfinder", "mnist", "fashion_mnist", "cifar10", "wikitext", "babi", "documents", "retrieval")]
    public EvalSplit EvalSplit { get; init; } = EvalSplit.Test;

    /// <summary>Evaluate on at most this many examples (or text windows) of a dataset's evaluation split; 0 = all. Default 0.</summary>
    [JsonPropertyName("max_eval_examples"), ConfigRange(0, int.MaxValue), ForTasks("listops", "pathfinder", "mnist", "fashion_mnist", "cifar10", "char_lm", "wikitext", "babi", "documents", "retrieval")]
    public int MaxEvalExamples { get; init; }

    /// <summary>
    /// Fraction of a file dataset's training data held out (deterministically, by data_seed) as the
    /// validation split; char_lm holds out the last part of the text. Default 0.1.
    /// </summary>
    [JsonPropertyName("validation_fraction"), ConfigRange(0, 0.9), ForTasks("mnist", "fashion_mnist", "cifar10", "char_lm", "babi", "documents")]
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Training examples of generated datasets (listops, LRA: 96000; pathfinder). Default 96000.</summary>
    [JsonPropertyName("num_train"), ConfigRange(1, 100_000_000), ForTasks("listops", "pathfinder", "babi")]
    public int NumTrain { get; init; } = 96_000;

    /// <summary>listops: keep trees with min_length &lt; length (LRA: 500). Default 500.</summary>
    [JsonPropertyName("min_length"), ConfigRange(0, 100_000_000), ForTasks("listops")]
    public int MinLength { get; init; } = 500;

    /// <summary>
    /// listops: keep trees with length &lt; max_length (LRA: 2000); documents: truncate to
    /// max_length bytes; retrieval: cut each text of a pair to (max_length - 1) / 2 bytes. Default 2000.
    /// </summary>
    [JsonPropertyName("max_length"), ConfigRange(2, 100_000_000), ForTasks("listops", "documents", "retrieval")]
    public int MaxLength { get; init; } = 2000;

    /// <summary>listops: maximum tree depth, the root being depth 1 (LRA: 10). Default 10.</summary>
    [JsonPropertyName("max_depth"), ConfigRange(1, 100), ForTasks("listops")]
    public int MaxDepth { get; init; } = 10;

    /// <summary>listops: maximum arguments of an operator, at least 2 (LRA: 10). Default 10.</summary>
    [JsonPropertyName("max_args"), ConfigRange(2, 1000), ForTasks("listops")]
    public int MaxArgs { get; init; } = 10;

    /// <summary>
    /// File or folder a dataset is read from (images: the folder of IDX files or CIFAR-10
    /// batches; text: a file; documents, retrieval, wikitext and babi: a folder). Empty = the task's
    /// default (fashion_mnist: /usr/share/datasets/fashion-mnist; others have none). Default "".
    /// </summary>
    [JsonPropertyName("data_path"), ForTasks("mnist", "fashion_mnist", "cifar10", "char_lm", "wikitext", "babi", "documents", "retrieval")]
    public string DataPath { get; init; } = "";

    /// <summary>
    /// Images as sequences: "pixels" (int tokens 0-255, one per pixel), "pixel_features" (one
    /// step of C features per pixel), "rows" (one step per row), "patches" (patch_size squares). Default "patches".
    /// </summary>
    [JsonPropertyName("image_format"), ForTasks("mnist", "fashion_mnist", "cifar10")]
    public ImageFormat ImageFormat { get; init; } = ImageFormat.Patches;

    /// <summary>Side of the square patches of image_format "patches"; must divide the image size. Default 4.</summary>
    [JsonPropertyName("patch_size"), ConfigRange(1, 1024), ForTasks("mnist", "fashion_mnist", "cifar10")]
    public int PatchSize { get; init; } = 4;

    /// <summary>
    /// wikitext: renumber the cl100k_base subword ids to those that occur in the training text
    /// (plus one unknown id), so small models need no 100k-row embedding. Default true.
    /// </summary>
    [JsonPropertyName("compact_vocab"), ForTasks("wikitext")]
    public bool CompactVocab { get; init; } = true;

    /// <summary>babi: the task number N of the qaN_*_{train,test}.txt files (1-20); the offline generator makes 1-3 (babi-haystack: 1-3 only). Default 1.</summary>
    [JsonPropertyName("babi_task"), ConfigRange(1, 20), ForTasks("babi", "babi-haystack")]
    public int BabiTask { get; init; } = 1;

    /// <summary>babi: "classify" (one class per answer word) or "next_token" (the answer word is the scored next token). Default "classify".</summary>
    [JsonPropertyName("babi_answer"), ForTasks("babi")]
    public BabiAnswer BabiAnswer { get; init; } = BabiAnswer.Classify;

    /// <summary>
    /// babi: keep the last this many statements of a story (MemN2N: 50); 0 keeps all.
    /// babi-haystack: the question asked is the latest of a generated story's questions that
    /// follows at most this many statements (all of them become facts), at least 2 (task 3: 3). Default 50.
    /// </summary>
    [JsonPropertyName("max_sentences"), ConfigRange(0, 100_000), ForTasks("babi", "babi-haystack")]
    public int MaxSentences { get; init; } = 50;

    /// <summary>
    /// documents: number of classes when labels are the integers 0..num_classes-1 (others are
    /// rejected as out of range); 0 takes the distinct training labels as the classes. Default 0.
    /// </summary>
    [JsonPropertyName("num_classes"), ConfigRange(0, 1_000_000), ForTasks("documents")]
    public int NumClasses { get; init; }

    /// <summary>
    /// Image training augmentation: "none", "flip" (mirror left-right with probability 1/2) or
    /// "shift_flip" (also shift by up to 2 pixels each way). Evaluation images are never changed. Default "none".
    /// </summary>
    [JsonPropertyName("augment"), ForTasks("mnist", "fashion_mnist", "cifar10")]
    public ImageAugment Augment { get; init; } = ImageAugment.None;
}
