namespace Nsm.Data.Images;

/// <summary>
/// Labelled 8-bit images held as bytes: <see cref="Pixels"/> is (Count, Channels, Height, Width)
/// row-major (channel planes, as CIFAR stores them), <see cref="Labels"/> one byte per image.
/// </summary>
public sealed class ImageSet
{
    public ImageSet(byte[] pixels, byte[] labels, int channels, int height, int width)
    {
        if (pixels.LongLength != (long)labels.Length * channels * height * width)
            throw new ArgumentException($"{pixels.LongLength} pixel bytes do not make {labels.Length} images of {channels}x{height}x{width}");
        Pixels = pixels;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
    }

    public byte[] Pixels { get; }
    public byte[] Labels { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Count => Labels.Length;
    public int ImageBytes => Channels * Height * Width;

    /// <summary>The pixels of one image, (C, H, W) row-major.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * ImageBytes, ImageBytes);

    /// <summary>The images at the given indices, in that order.</summary>
    public ImageSet Subset(IReadOnlyList<int> indices)
    {
        var pixels = new byte[(long)indices.Count * ImageBytes];
        var labels = new byte[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            Image(indices[i]).CopyTo(pixels.AsSpan(i * ImageBytes, ImageBytes));
            labels[i] = Labels[indices[i]];
        }
        return new ImageSet(pixels, labels, Channels, Height, Width);
    }

    /// <summary>Per-channel mean and standard deviation of the pixel values scaled to [0, 1].</summary>
    public (float[] Mean, float[] Std) ChannelStatistics()
    {
        var sum = new double[Channels];
        var squares = new double[Channels];
        var plane = Height * Width;
        for (var n = 0; n < Count; n++)
        {
            var image = Image(n);
            for (var c = 0; c < Channels; c++)
            {
                long s = 0, q = 0;
                foreach (var b in image.Slice(c * plane, plane)) { s += b; q += b * b; }
                sum[c] += s;
                squares[c] += q;
            }
        }
        var count = (double)Count * plane;
        var mean = new float[Channels];
        var std = new float[Channels];
        for (var c = 0; c < Channels; c++)
        {
            var m = sum[c] / count / 255.0;
            var variance = squares[c] / count / (255.0 * 255.0) - m * m;
            mean[c] = (float)m;
            std[c] = (float)Math.Sqrt(Math.Max(variance, 1e-12));
        }
        return (mean, std);
    }
}
