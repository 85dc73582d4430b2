using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.Images;

namespace Nsm.Tasks;

/// <summary>
/// Image classification as sequence classification (10 classes): MNIST, Fashion-MNIST (IDX
/// files) or CIFAR-10 (binary batches), read from task.data_path (Fashion-MNIST defaults to
/// the Debian package's folder). Images become pixel tokens, pixel features, rows or patches
/// (<see cref="ImageSequencer"/>). The training file is split by task.data_seed into training
/// and validation images (task.validation_fraction); task.eval_split picks the test file or the
/// validation images for evaluation. Files are read on first use.
/// </summary>
public sealed class ImageClassificationTask : DatasetTask
{
    private readonly string name;
    private readonly string folder;
    private readonly ImageFormat format;
    private readonly int patchSize;
    private readonly int dataSeed;
    private readonly double validationFraction;
    private readonly bool useValidation;
    private readonly ImageAugment augment;
    private readonly Lazy<(ImageSet Images, int[] Train, int[] Validation, ImageSequencer Sequencer)> train;
    private readonly Lazy<ImageSet> test;

    /// <summary>The rules that tie the image tasks' keys together.</summary>
    public static void Validate(TaskConfig config)
    {
        if (config.EvalSplit == EvalSplit.Validation && config.ValidationFraction == 0)
            throw new ConfigException("'task.eval_split' = \"validation\" needs 'task.validation_fraction' > 0");
    }

    public ImageClassificationTask(string name, TaskConfig config, long seed) : base(seed, config.MaxEvalExamples)
    {
        this.name = name;
        format = config.ImageFormat;
        patchSize = config.PatchSize;
        dataSeed = config.DataSeed;
        validationFraction = config.ValidationFraction;
        useValidation = config.EvalSplit == EvalSplit.Validation;
        augment = config.Augment;
        Validate(config);
        folder = ImageDatasets.Folder(name, config.DataPath);
        var (c, h, w) = ImageDatasets.Shape(name, folder);
        // Statistics are not needed for the shape; a placeholder sequencer checks the format now.
        var shape = new ImageSequencer(format, patchSize, c, h, w, new float[c], Enumerable.Repeat(1f, c).ToArray());
        Spec = new TaskSpec(shape.VocabSize, shape.Features, TaskOutput.Classification, ImageDatasets.Classes, Causal: false, MaxLength: shape.Length)
        {
            Patches = shape.Patches,
        };
        train = new Lazy<(ImageSet, int[], int[], ImageSequencer)>(LoadTrain);
        test = new Lazy<ImageSet>(() => ImageDatasets.Load(name, folder, test: true));
    }

    public override string Name => name;

    public override TaskSpec Spec { get; }

    /// <summary>The folder the files are read from.</summary>
    public string Folder => folder;

    public override int TrainCount => train.Value.Train.Length;

    public override int EvalSplitCount => useValidation ? train.Value.Validation.Length : test.Value.Count;

    protected override Batch Collate(bool eval, IReadOnlyList<int> indices, Device device)
    {
        var (images, trainIndex, validationIndex, sequencer) = train.Value;
        if (!eval) return sequencer.Collate(images, indices.Select(i => trainIndex[i]).ToArray(), device);
        if (useValidation) return sequencer.Collate(images, indices.Select(i => validationIndex[i]).ToArray(), device);
        return sequencer.Collate(test.Value, indices, device);
    }

    protected override Batch CollateTrain(long step, IReadOnlyList<int> indices, Device device)
    {
        if (augment == ImageAugment.None) return Collate(false, indices, device);
        var (images, trainIndex, _, sequencer) = train.Value;
        // Its own stream per step, apart from the epoch order's streams, so augmentation is deterministic in (seed, step).
        var random = new SeededRandom(Seed ^ 0xA06, step);
        return sequencer.Collate(images, indices.Select(i => trainIndex[i]).ToArray(), device, augment, random);
    }

    private (ImageSet, int[], int[], ImageSequencer) LoadTrain()
    {
        var images = ImageDatasets.Load(name, folder, test: false);
        var order = Enumerable.Range(0, images.Count).ToArray();
        new SeededRandom(dataSeed, 0x1A6E).Shuffle(order);
        var held = (int)Math.Round(images.Count * validationFraction);
        var validation = order[..held];
        var trainIndex = order[held..];
        Array.Sort(validation);
        Array.Sort(trainIndex);
        if (trainIndex.Length == 0) throw new ConfigException($"'task.validation_fraction' = {validationFraction} leaves no training images");
        var (mean, std) = images.Subset(trainIndex).ChannelStatistics();
        var sequencer = new ImageSequencer(format, patchSize, images.Channels, images.Height, images.Width, mean, std);
        return (images, trainIndex, validation, sequencer);
    }
}
