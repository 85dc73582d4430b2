using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.Images;
using Nsm.Tasks;
using Nsm.Tests.Support;

namespace Nsm.Tests.Data;

public sealed class ImageDataTests
{
    static ImageClassificationTask Task(string name, string folder, params string[] overrides) =>
        new(name, ConfigLoader.FromOverrides(overrides.Append($"task.data_path={folder}").Append($"task.name={name}")).Task, seed: 1);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsIdxFilesPlainAndCompressed(bool gzip)
    {
        using var dir = TestConfigs.TempDir();
        Fixtures.WriteMnistFolder(dir.Path, 12, 5, 8, gzip);
        var train = ImageDatasets.Load("mnist", dir.Path, test: false);
        var test = ImageDatasets.Load("mnist", dir.Path, test: true);
        Assert.Equal((12, 1, 8, 8), (train.Count, train.Channels, train.Height, train.Width));
        Assert.Equal(Fixtures.MnistPixels(12, 8), train.Pixels);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (byte)(i % 10)), test.Labels);
    }

    [Fact]
    public void RejectsAWrongMagicNumber()
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("train-images-idx3-ubyte");
        Fixtures.WriteIdx(path, [4], [1, 2, 3, 4]);      // a label file where images belong
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path, 3));
        Assert.Contains(path, e.Message);
        Assert.Contains("wrong magic number 0x00000801, expected 0x00000803", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RejectsATruncatedIdxFile(bool gzip)
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("images");
        // The header promises 3 images of 8x8 = 192 bytes; only 150 follow.
        using (var buffer = new MemoryStream())
        {
            buffer.Write([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 8]);
            buffer.Write(new byte[150]);
            Fixtures.WriteMaybeCompressed(path, buffer.ToArray(), gzip);
        }
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path, 3));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated: the header promises 192 data bytes (3x8x8), found 150", e.Message);
    }

    /// <summary>A corrupt dimension can promise almost 2 GB; the reader must find the file short without allocating that first.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AHeaderPromisingGigabytesIsRefusedWithoutAllocatingThem(bool gzip)
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub(gzip ? "images.gz" : "images");
        Fixtures.WriteIdx(path, [1, 1, 2_000_000_000], new byte[100], gzip);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path, 3));
        Assert.Contains("truncated", error.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "the reader allocated what the header promised");
    }

    [Fact]
    public void RejectsACutOffGzipStream()
    {
        using var dir = TestConfigs.TempDir();
        var whole = dir.Sub("whole.gz");
        var random = new Random(1);
        var pixels = new byte[20 * 28 * 28];
        random.NextBytes(pixels);                        // incompressible, so the cut lands in the data
        Fixtures.WriteIdx(whole, [20, 28, 28], pixels, gzip: true);
        var bytes = File.ReadAllBytes(whole);
        var cut = dir.Sub("cut.gz");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(cut, 3));
        Assert.StartsWith(cut + ":", e.Message);
    }

    [Fact]
    public void RejectsLabelsOutOfRangeAndCountMismatches()
    {
        using var dir = TestConfigs.TempDir();
        Fixtures.WriteMnistFolder(dir.Path, 6, 3, 4, gzip: false);
        Fixtures.WriteIdx(Path.Combine(dir.Path, "train-labels-idx1-ubyte"), [6], [0, 1, 2, 12, 4, 5]);
        var e = Assert.Throws<InvalidDataException>(() => ImageDatasets.Load("mnist", dir.Path, test: false));
        Assert.Contains("train-labels-idx1-ubyte: label 12 at index 3 is out of range 0..9", e.Message);

        Fixtures.WriteIdx(Path.Combine(dir.Path, "t10k-labels-idx1-ubyte"), [2], [0, 1]);
        e = Assert.Throws<InvalidDataException>(() => ImageDatasets.Load("mnist", dir.Path, test: true));
        Assert.Contains("holds 2 labels but", e.Message);
    }

    [Fact]
    public void MissingFilesNameTheKeyToSet()
    {
        using var dir = TestConfigs.TempDir();
        var e = Assert.Throws<ConfigException>(() => Task("mnist", dir.Path));
        Assert.Contains("'task.data_path'", e.Message);
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message);
        e = Assert.Throws<ConfigException>(() => Task("mnist", dir.Sub("nowhere")));
        Assert.Contains("is not a folder", e.Message);
        e = Assert.Throws<ConfigException>(() => new ImageClassificationTask("mnist", new TaskConfig { Name = "mnist" }, 1));
        Assert.Contains("'task.data_path' must name the folder", e.Message);
    }

    [Fact]
    public void ReadsCifarBatchesAndRejectsCorruptOnes()
    {
        using var dir = TestConfigs.TempDir();
        var folder = Path.Combine(dir.Path, "cifar-10-batches-bin");
        Fixtures.WriteCifarFolder(folder, 4);
        // The archive's parent folder is accepted too.
        var task = Task("cifar10", dir.Path, "task.image_format=pixel_features");
        Assert.Equal((0, 3, 1024), (task.Spec.VocabSize, task.Spec.InputFeatures, task.Spec.MaxLength));
        var set = CifarReader.Read(CifarReader.TrainFiles.Select(f => Path.Combine(folder, f)).ToList());
        Assert.Equal(20, set.Count);
        Assert.Equal(2, set.Labels[4]);                      // batch 2, record 0: (0 + 2) % 10
        Assert.Equal((byte)((1 + 3 * 10 + 50 * 2) % 256), set.Image(1)[2 * 1024 + 10]);

        var broken = Path.Combine(folder, "data_batch_3.bin");
        File.WriteAllBytes(broken, File.ReadAllBytes(broken)[..3000]);
        var e = Assert.Throws<InvalidDataException>(() => ImageDatasets.Load("cifar10", folder, test: false));
        Assert.Contains("data_batch_3.bin: truncated or not a CIFAR-10 binary batch", e.Message);

        Fixtures.WriteCifarBatch(broken, [1, 10, 2]);
        e = Assert.Throws<InvalidDataException>(() => ImageDatasets.Load("cifar10", folder, test: false));
        Assert.Contains("data_batch_3.bin: label 10 of record 1 is out of range 0..9", e.Message);
    }

    [Fact]
    public void SequencerFormatsLayOutPixelsAsDocumented()
    {
        // One 4x4 grey image with pixel (y, x) = 4 * y + x, identity scaling (mean 0, std 1/255).
        var pixels = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var set = new ImageSet(pixels, [3], 1, 4, 4);
        Tensor Inputs(ImageFormat format, int patch = 2)
        {
            var sequencer = new ImageSequencer(format, patch, 1, 4, 4, [0f], [1f / 255f]);
            return sequencer.Collate(set, [0], CPU).Inputs;
        }
        using var scope = NewDisposeScope();
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (long)i), Inputs(ImageFormat.Pixels).data<long>().ToArray());
        Assert.Equal([1L, 16, 1], Inputs(ImageFormat.PixelFeatures).shape);
        var rows = Inputs(ImageFormat.Rows);
        Assert.Equal([1L, 4, 4], rows.shape);
        Assert.Equal(new float[] { 4, 5, 6, 7 }, rows[0, 1].data<float>().ToArray(), new FloatClose());
        var patches = Inputs(ImageFormat.Patches);
        Assert.Equal([1L, 4, 4], patches.shape);
        // Patch 1 is the top-right 2x2 square: (0,2) (0,3) (1,2) (1,3).
        Assert.Equal(new float[] { 2, 3, 6, 7 }, patches[0, 1].data<float>().ToArray(), new FloatClose());
        Assert.Throws<ConfigException>(() => Inputs(ImageFormat.Patches, patch: 3));
    }

    [Fact]
    public void ColourPixelsBecomeGreyTokensAndChannelFeatures()
    {
        var pixels = new byte[3 * 2 * 2];
        pixels[0] = 100; pixels[4] = 200; pixels[8] = 50;     // pixel 0: R 100, G 200, B 50
        var set = new ImageSet(pixels, [0], 3, 2, 2);
        using var scope = NewDisposeScope();
        var grey = new ImageSequencer(ImageFormat.Pixels, 1, 3, 2, 2, [0, 0, 0], [1, 1, 1]).Collate(set, [0], CPU).Inputs;
        Assert.Equal((long)Math.Round(0.2989 * 100 + 0.5870 * 200 + 0.1140 * 50), grey[0, 0].item<long>());
        var features = new ImageSequencer(ImageFormat.PixelFeatures, 1, 3, 2, 2, [0, 0, 0], [1f / 255, 1f / 255, 1f / 255]).Collate(set, [0], CPU).Inputs;
        Assert.Equal(new float[] { 100, 200, 50 }, features[0, 0].data<float>().ToArray(), new FloatClose());
    }

    [Fact]
    public void SplitIsDeterministicDisjointAndStandardised()
    {
        using var dir = TestConfigs.TempDir();
        Fixtures.WriteMnistFolder(dir.Path, 40, 7, 8, gzip: true);
        var task = Task("mnist", dir.Path, "task.validation_fraction=0.25", "task.image_format=rows");
        var validation = Task("mnist", dir.Path, "task.validation_fraction=0.25", "task.image_format=rows", "task.eval_split=validation");
        Assert.Equal(30, task.TrainCount);
        Assert.Equal(7, task.EvalCount);
        Assert.Equal(10, validation.EvalCount);
        using var scope = NewDisposeScope();
        var trainRows = Enumerable.Range(0, 3).Select(s => task.TrainBatch(s, 10, CPU).Inputs).ToList();
        var all = cat(trainRows, 0);
        // Features are standardised with the training images' statistics.
        Assert.InRange(all.mean().item<float>(), -1e-3, 1e-3);
        Assert.InRange(all.std().item<float>(), 0.99, 1.01);
        // One epoch of training images and the validation images never share an image.
        var trainKeys = trainRows.SelectMany(Keys).ToHashSet();
        var validationKeys = validation.EvalBatches(16, CPU).SelectMany(b => Keys(b.Inputs)).ToHashSet();
        Assert.Equal(30, trainKeys.Count);
        Assert.Equal(10, validationKeys.Count);
        Assert.Empty(trainKeys.Intersect(validationKeys));
        // The split comes from task.data_seed, not from the training seed.
        var other = new ImageClassificationTask("mnist", ConfigLoader.FromOverrides([$"task.data_path={dir.Path}", "task.name=mnist", "task.validation_fraction=0.25", "task.image_format=rows", "task.eval_split=validation"]).Task, seed: 99);
        Assert.Equal(validationKeys, other.EvalBatches(16, CPU).SelectMany(b => Keys(b.Inputs)).ToHashSet());
    }

    [Fact]
    public void AugmentationMirrorsAndShiftsTrainingImagesOnly()
    {
        var pixels = Enumerable.Range(0, 16).Select(i => (byte)(i + 1)).ToArray();   // pixel (y, x) = 4y + x + 1
        var set = new ImageSet(pixels, [3], 1, 4, 4);
        var sequencer = new ImageSequencer(ImageFormat.Pixels, 1, 1, 4, 4, [0f], [1f]);
        using var scope = NewDisposeScope();
        var seen = new HashSet<string>();
        for (var s = 0; s < 40; s++)
        {
            var image = sequencer.Collate(set, [0], CPU, ImageAugment.Flip, new SeededRandom(1, s)).Inputs.data<long>().ToArray();
            var row0 = image[..4];
            Assert.True(row0.SequenceEqual([1L, 2, 3, 4]) || row0.SequenceEqual([4L, 3, 2, 1]), string.Join(",", row0));
            seen.Add(string.Join(",", image));
            var shifted = sequencer.Collate(set, [0], CPU, ImageAugment.ShiftFlip, new SeededRandom(1, s)).Inputs.data<long>().ToArray();
            // A shift by at most 2 keeps at least a 2x2 block of the image and blanks the rest.
            Assert.InRange(shifted.Count(v => v != 0), 4, 16);
        }
        Assert.Equal(2, seen.Count);

        using var dir = TestConfigs.TempDir();
        Fixtures.WriteMnistFolder(dir.Path, 30, 5, 8, gzip: false);
        var plain = Task("mnist", dir.Path, "task.image_format=pixels");
        var augmented = Task("mnist", dir.Path, "task.image_format=pixels", "task.augment=shift_flip");
        var again = Task("mnist", dir.Path, "task.image_format=pixels", "task.augment=shift_flip");
        Assert.False(plain.TrainBatch(2, 8, CPU).Inputs.eq(augmented.TrainBatch(2, 8, CPU).Inputs).all().item<bool>());
        Assert.True(augmented.TrainBatch(2, 8, CPU).Inputs.eq(again.TrainBatch(2, 8, CPU).Inputs).all().item<bool>());
        Assert.True(plain.EvalBatches(5, CPU).Single().Inputs.eq(augmented.EvalBatches(5, CPU).Single().Inputs).all().item<bool>());
    }

    static IEnumerable<string> Keys(Tensor inputs)
    {
        for (var i = 0; i < inputs.shape[0]; i++) yield return inputs[i, 0, 0].item<float>().ToString("R", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void FashionMnistDefaultsToTheDebianPackage()
    {
        var config = ConfigLoader.FromOverrides(["task.name=fashion_mnist"]).Task;
        if (Directory.Exists(ImageDatasets.FashionMnistDefault))
        {
            var task = new ImageClassificationTask("fashion_mnist", config, 1);
            Assert.Equal(ImageDatasets.FashionMnistDefault, task.Folder);
            Assert.Equal((0, 16, 49, 10), (task.Spec.VocabSize, task.Spec.InputFeatures, task.Spec.MaxLength, task.Spec.NumClasses));
        }
        else
        {
            var e = Assert.Throws<ConfigException>(() => new ImageClassificationTask("fashion_mnist", config, 1));
            Assert.Contains("dataset-fashion-mnist", e.Message);
        }
    }

    sealed class FloatClose : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= 1e-3f * Math.Max(1, Math.Abs(a));
        public int GetHashCode(float x) => 0;
    }
}
