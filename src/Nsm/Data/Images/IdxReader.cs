using System.IO.Compression;

namespace Nsm.Data.Images;

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST format: <c>train-images-idx3-ubyte</c>,
/// <c>train-labels-idx1-ubyte</c>, plain or gzip-compressed). Header: two zero bytes, a type
/// code (0x08 = unsigned byte, the only type these datasets use), the number of dimensions, then
/// each dimension as a big-endian int32; then the data, row-major. Every problem is an
/// <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class IdxReader
{
    public const byte UnsignedByte = 0x08;

    /// <summary>Magic number of an image file (ubyte, 3 dimensions).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of a label file (ubyte, 1 dimension).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads the dimensions only (decompressing just the header of a .gz file).</summary>
    public static int[] ReadShape(string path, int expectedDims) => NamingFile(path, () =>
    {
        using var stream = Open(path);
        return ReadHeader(stream, path, expectedDims);
    });

    /// <summary>Reads a whole ubyte IDX file with the expected number of dimensions.</summary>
    public static (int[] Shape, byte[] Data) Read(string path, int expectedDims) => NamingFile(path, () =>
    {
        using var stream = Open(path);
        var shape = ReadHeader(stream, path, expectedDims);
        var size = shape.Aggregate(1L, (a, d) => a * d);
        if (size > Array.MaxLength) throw new InvalidDataException($"{path}: {size} data bytes are more than one array can hold");
        var data = ReadAtMost(stream, size);
        if (data.Length < size) throw new InvalidDataException($"{path}: truncated: the header promises {size} data bytes ({string.Join("x", shape)}), found {data.Length}");
        if (stream.ReadByte() >= 0) throw new InvalidDataException($"{path}: has bytes after the {size} data bytes its header promises ({string.Join("x", shape)})");
        return (shape, data);
    });

    /// <summary>Runs a read, giving errors from the decompressor (which do not know the file) the file's name.</summary>
    internal static T NamingFile<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: corrupt compressed data ({e.Message})", e);
        }
    }

    /// <summary>Opens a file, transparently decompressing gzip (recognised by its magic bytes, not the name).</summary>
    public static Stream Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var file = File.OpenRead(path);
        var b0 = file.ReadByte();
        var b1 = file.ReadByte();
        file.Position = 0;
        if (b0 == 0x1F && b1 == 0x8B) return new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16);
        return new BufferedStream(file, 1 << 16);
    }

    private static int[] ReadHeader(Stream stream, string path, int expectedDims)
    {
        var magic = new byte[4];
        var read = ReadFully(stream, magic);
        if (read < 4) throw new InvalidDataException($"{path}: truncated: {read} bytes, too short for an IDX header");
        var number = magic[0] << 24 | magic[1] << 16 | magic[2] << 8 | magic[3];
        var expected = UnsignedByte << 8 | expectedDims;
        if (number != expected)
            throw new InvalidDataException($"{path}: wrong magic number 0x{number:X8}, expected 0x{expected:X8} (unsigned bytes, {expectedDims} dimension{(expectedDims == 1 ? "" : "s")})");
        var dims = new byte[4 * expectedDims];
        if (ReadFully(stream, dims) < dims.Length) throw new InvalidDataException($"{path}: truncated inside the IDX header");
        var shape = new int[expectedDims];
        for (var i = 0; i < expectedDims; i++)
        {
            shape[i] = dims[4 * i] << 24 | dims[4 * i + 1] << 16 | dims[4 * i + 2] << 8 | dims[4 * i + 3];
            if (shape[i] <= 0) throw new InvalidDataException($"{path}: dimension {i} is {shape[i]}");
        }
        return shape;
    }

    /// <summary>
    /// Up to size bytes, in memory that grows with the data found rather than with what a
    /// (possibly corrupt) header promises; one array of exactly size bytes when all are there.
    /// </summary>
    private static byte[] ReadAtMost(Stream stream, long size)
    {
        const int Block = 1 << 24;
        if (size <= Block)
        {
            var whole = new byte[size];
            var n = ReadFully(stream, whole);
            return n == size ? whole : whole[..n];
        }
        var blocks = new List<byte[]>();
        long total = 0;
        while (total < size)
        {
            var block = new byte[Math.Min(Block, size - total)];
            var n = ReadFully(stream, block);
            blocks.Add(n == block.Length ? block : block[..n]);
            total += n;
            if (n < block.Length) break;
        }
        var data = new byte[total];
        long at = 0;
        foreach (var block in blocks)
        {
            block.CopyTo(data, at);
            at += block.Length;
        }
        return data;
    }

    private static int ReadFully(Stream stream, byte[] buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
