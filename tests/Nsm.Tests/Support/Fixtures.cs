using System.IO.Compression;
using System.Text;

namespace Nsm.Tests.Support;

/// <summary>Writes small dataset files in their published formats, for loader tests.</summary>
public static class Fixtures
{
    /// <summary>An IDX file of unsigned bytes with the given dimensions, optionally gzip-compressed.</summary>
    public static void WriteIdx(string path, int[] dims, byte[] data, bool gzip = false)
    {
        using var buffer = new MemoryStream();
        buffer.Write([0, 0, 0x08, (byte)dims.Length]);
        foreach (var d in dims) buffer.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        buffer.Write(data);
        WriteMaybeCompressed(path, buffer.ToArray(), gzip);
    }

    public static void WriteMaybeCompressed(string path, byte[] bytes, bool gzip)
    {
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(bytes);
    }

    /// <summary>
    /// An MNIST-style folder: count training and testCount test images of side x side pixels whose
    /// pixel (y, x) of image n is (n * 7 + y * side + x) % 256, labels n % 10.
    /// </summary>
    public static void WriteMnistFolder(string folder, int count, int testCount, int side, bool gzip)
    {
        Directory.CreateDirectory(folder);
        var ext = gzip ? ".gz" : "";
        foreach (var (prefix, n) in new[] { ("train", count), ("t10k", testCount) })
        {
            WriteIdx(Path.Combine(folder, $"{prefix}-images-idx3-ubyte{ext}"), [n, side, side], MnistPixels(n, side), gzip);
            WriteIdx(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte{ext}"), [n], Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray(), gzip);
        }
    }

    public static byte[] MnistPixels(int count, int side)
    {
        var data = new byte[count * side * side];
        for (var n = 0; n < count; n++)
            for (var i = 0; i < side * side; i++) data[n * side * side + i] = (byte)((n * 7 + i) % 256);
        return data;
    }

    /// <summary>A CIFAR-10 binary batch: record r has label labels[r] and channel c of pixel i equal to (r + 3 * i + 50 * c) % 256.</summary>
    public static void WriteCifarBatch(string path, byte[] labels)
    {
        var bytes = new byte[labels.Length * 3073];
        for (var r = 0; r < labels.Length; r++)
        {
            bytes[r * 3073] = labels[r];
            for (var c = 0; c < 3; c++)
                for (var i = 0; i < 1024; i++) bytes[r * 3073 + 1 + c * 1024 + i] = (byte)((r + 3 * i + 50 * c) % 256);
        }
        File.WriteAllBytes(path, bytes);
    }

    public static void WriteCifarFolder(string folder, int perBatch)
    {
        Directory.CreateDirectory(folder);
        for (var b = 1; b <= 5; b++)
            WriteCifarBatch(Path.Combine(folder, $"data_batch_{b}.bin"), Enumerable.Range(0, perBatch).Select(i => (byte)((i + b) % 10)).ToArray());
        WriteCifarBatch(Path.Combine(folder, "test_batch.bin"), Enumerable.Range(0, perBatch).Select(i => (byte)(i % 10)).ToArray());
    }

    public static void WriteText(string path, string text) => File.WriteAllText(path, text, new UTF8Encoding(false));
}
