using Nsm.Core;

namespace Nsm.Data.Images;

/// <summary>
/// Where the image datasets live and how their files are named: MNIST and Fashion-MNIST as
/// IDX files (<c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-*</c>,
/// each plain or <c>.gz</c>), CIFAR-10 as binary batches. Missing folders or files are
/// <see cref="ConfigException"/>s that say which key to set.
/// </summary>
public static class ImageDatasets
{
    /// <summary>Folder of the Debian package <c>dataset-fashion-mnist</c>.</summary>
    public const string FashionMnistDefault = "/usr/share/datasets/fashion-mnist";

    public const int Classes = 10;

    /// <summary>The folder to read, from task.data_path or the dataset's default.</summary>
    public static string Folder(string name, string dataPath)
    {
        var folder = dataPath.Length > 0 ? dataPath : name == "fashion_mnist" ? FashionMnistDefault : "";
        if (folder.Length == 0)
            throw new ConfigException($"'task.data_path' must name the folder holding the {Describe(name)} files for task '{name}'");
        if (!Directory.Exists(folder))
            throw new ConfigException(name == "fashion_mnist" && dataPath.Length == 0
                ? $"'task.data_path' is unset and the default {FashionMnistDefault} does not exist; install the Debian package dataset-fashion-mnist or set task.data_path to a folder with the Fashion-MNIST IDX files"
                : $"'task.data_path' = \"{folder}\" is not a folder (expected the {Describe(name)} files)");
        // CIFAR-10's archive unpacks into cifar-10-batches-bin/; accept its parent too.
        if (name == "cifar10" && !File.Exists(Path.Combine(folder, CifarReader.TestFiles[0])) && Directory.Exists(Path.Combine(folder, "cifar-10-batches-bin")))
            folder = Path.Combine(folder, "cifar-10-batches-bin");
        return folder;
    }

    /// <summary>(channels, height, width) without reading the pixels.</summary>
    public static (int Channels, int Height, int Width) Shape(string name, string folder)
    {
        if (name == "cifar10")
        {
            foreach (var file in CifarReader.TrainFiles.Concat(CifarReader.TestFiles)) Require(folder, file, name);
            return (CifarReader.Channels, CifarReader.Side, CifarReader.Side);
        }
        var shape = IdxReader.ReadShape(IdxFile(folder, "train-images-idx3-ubyte", name), 3);
        return (1, shape[1], shape[2]);
    }

    /// <summary>Loads the training file(s) (test = false) or the test file(s).</summary>
    public static ImageSet Load(string name, string folder, bool test)
    {
        if (name == "cifar10")
            return CifarReader.Read((test ? CifarReader.TestFiles : CifarReader.TrainFiles).Select(f => Require(folder, f, name)).ToList());
        var prefix = test ? "t10k" : "train";
        var imagesPath = IdxFile(folder, $"{prefix}-images-idx3-ubyte", name);
        var labelsPath = IdxFile(folder, $"{prefix}-labels-idx1-ubyte", name);
        var (shape, pixels) = IdxReader.Read(imagesPath, 3);
        var (labelShape, labels) = IdxReader.Read(labelsPath, 1);
        if (labelShape[0] != shape[0])
            throw new InvalidDataException($"{labelsPath}: holds {labelShape[0]} labels but {imagesPath} holds {shape[0]} images");
        for (var i = 0; i < labels.Length; i++)
            if (labels[i] >= Classes) throw new InvalidDataException($"{labelsPath}: label {labels[i]} at index {i} is out of range 0..{Classes - 1}");
        return new ImageSet(pixels, labels, 1, shape[1], shape[2]);
    }

    private static string IdxFile(string folder, string stem, string name)
    {
        var plain = Path.Combine(folder, stem);
        if (File.Exists(plain)) return plain;
        if (File.Exists(plain + ".gz")) return plain + ".gz";
        throw new ConfigException($"'task.data_path': neither {plain} nor {plain}.gz exists (expected the {Describe(name)} IDX files)");
    }

    private static string Require(string folder, string file, string name)
    {
        var path = Path.Combine(folder, file);
        if (!File.Exists(path)) throw new ConfigException($"'task.data_path': {path} does not exist (expected the {Describe(name)} binary batches)");
        return path;
    }

    private static string Describe(string name) => name switch
    {
        "fashion_mnist" => "Fashion-MNIST",
        "mnist" => "MNIST",
        _ => "CIFAR-10",
    };
}
