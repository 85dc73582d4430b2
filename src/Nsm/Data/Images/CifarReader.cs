namespace Nsm.Data.Images;

/// <summary>
/// Reads CIFAR-10 binary batches (<c>data_batch_1.bin</c> .. <c>data_batch_5.bin</c>,
/// <c>test_batch.bin</c>): records of 1 label byte (0-9) and 3072 pixel bytes, the 1024 red,
/// then green, then blue values of a 32x32 image, row-major. Every problem is an
/// <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class CifarReader
{
    public const int Side = 32;
    public const int Channels = 3;
    public const int ImageBytes = Channels * Side * Side;
    public const int RecordBytes = 1 + ImageBytes;
    public const int Classes = 10;

    public static readonly string[] TrainFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    public static readonly string[] TestFiles = ["test_batch.bin"];

    /// <summary>Reads and concatenates batch files.</summary>
    public static ImageSet Read(IReadOnlyList<string> paths)
    {
        var sizes = new long[paths.Count];
        for (var i = 0; i < paths.Count; i++)
        {
            if (!File.Exists(paths[i])) throw new FileNotFoundException($"{paths[i]}: file not found", paths[i]);
            sizes[i] = new FileInfo(paths[i]).Length;
            if (sizes[i] == 0 || sizes[i] % RecordBytes != 0)
                throw new InvalidDataException($"{paths[i]}: truncated or not a CIFAR-10 binary batch: {sizes[i]} bytes is not a whole number of {RecordBytes}-byte records (1 label + {ImageBytes} pixels)");
        }
        var count = (int)(sizes.Sum() / RecordBytes);
        var pixels = new byte[(long)count * ImageBytes];
        var labels = new byte[count];
        var n = 0;
        var record = new byte[RecordBytes];
        foreach (var path in paths)
        {
            using var stream = new BufferedStream(File.OpenRead(path), 1 << 16);
            for (var r = 0; ; r++)
            {
                var read = stream.ReadAtLeast(record, RecordBytes, throwOnEndOfStream: false);
                if (read == 0) break;
                if (read < RecordBytes) throw new InvalidDataException($"{path}: truncated inside record {r}");
                if (record[0] >= Classes) throw new InvalidDataException($"{path}: label {record[0]} of record {r} is out of range 0..{Classes - 1}");
                labels[n] = record[0];
                record.AsSpan(1).CopyTo(pixels.AsSpan(n * ImageBytes, ImageBytes));
                n++;
            }
        }
        return new ImageSet(pixels, labels, Channels, Side, Side);
    }
}
