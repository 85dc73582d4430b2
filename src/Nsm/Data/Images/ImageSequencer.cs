using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Data.Images;

/// <summary>
/// Turns images into sequences, one of four ways (<c>task.image_format</c>):
/// <list type="bullet">
/// <item><c>pixels</c>: one int64 token 0-255 per pixel, row-major (sequential MNIST; colour
/// images are first made grey as LRA Image does, 0.2989 R + 0.5870 G + 0.1140 B, rounded):
/// (B, H*W).</item>
/// <item><c>pixel_features</c>: one step per pixel with its C channel values: (B, H*W, C).</item>
/// <item><c>rows</c>: one step per image row with its W*C values (x-major, then channel): (B, H, W*C).</item>
/// <item><c>patches</c>: non-overlapping p x p patches in row-major order, each flattened
/// (dy, dx, c) as ViT does: (B, (H/p)*(W/p), p*p*C).</item>
/// </list>
/// Features are standardised per channel with the training split's mean and standard deviation.
/// </summary>
public sealed class ImageSequencer
{
    private readonly ImageFormat format;
    private readonly int patch;
    private readonly int channels, height, width;
    private readonly float[] mean, std;

    public ImageSequencer(ImageFormat format, int patchSize, int channels, int height, int width, float[] mean, float[] std)
    {
        if (format == ImageFormat.Patches && (height % patchSize != 0 || width % patchSize != 0))
            throw new ConfigException($"'task.patch_size' = {patchSize} must divide the image size {height}x{width}");
        this.format = format;
        patch = patchSize;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.mean = mean;
        this.std = std;
    }

    /// <summary>Sequence length (steps per image).</summary>
    public int Length => format switch
    {
        ImageFormat.Rows => height,
        ImageFormat.Patches => height / patch * (width / patch),
        _ => height * width,
    };

    /// <summary>Features per step; 0 for pixel tokens.</summary>
    public int Features => format switch
    {
        ImageFormat.Pixels => 0,
        ImageFormat.PixelFeatures => channels,
        ImageFormat.Rows => width * channels,
        _ => patch * patch * channels,
    };

    /// <summary>How the patches tile the image for format "patches"; null for the other formats.</summary>
    public PatchGrid? Patches => format == ImageFormat.Patches ? new(channels, height / patch, width / patch, patch) : null;

    /// <summary>Token vocabulary (256 grey levels) for pixel tokens; 0 for features.</summary>
    public int VocabSize => format == ImageFormat.Pixels ? 256 : 0;

    /// <summary>
    /// Inputs (see the class summary) and int64 labels (B) of the chosen images. With
    /// <paramref name="augment"/> = "flip" each image is mirrored left-right with probability 1/2;
    /// "shift_flip" also moves it by up to <see cref="MaxShift"/> pixels each way (uncovered pixels
    /// become 0), drawing from <paramref name="random"/>.
    /// </summary>
    public Batch Collate(ImageSet set, IReadOnlyList<int> indices, Device device, ImageAugment augment = ImageAugment.None, SeededRandom? random = null)
    {
        if (augment != ImageAugment.None)
        {
            ArgumentNullException.ThrowIfNull(random);
            set = Augment(set, indices, augment == ImageAugment.ShiftFlip, random);
            indices = Enumerable.Range(0, indices.Count).ToArray();
        }
        var b = indices.Count;
        var labels = indices.Select(i => (long)set.Labels[i]).ToArray();
        Tensor inputs;
        if (format == ImageFormat.Pixels)
        {
            var tokens = new long[b * height * width];
            for (var i = 0; i < b; i++) Grey(set.Image(indices[i]), tokens.AsSpan(i * height * width, height * width));
            inputs = tensor(tokens, [b, height * width]);
        }
        else
        {
            var length = Length;
            var features = Features;
            var values = new float[b * length * features];
            for (var i = 0; i < b; i++) Fill(set.Image(indices[i]), values.AsSpan(i * length * features, length * features));
            inputs = tensor(values, [b, length, features]);
        }
        return new Batch(inputs.to(device), tensor(labels, [b]).to(device));
    }

    /// <summary>Largest shift of "shift_flip" augmentation, in pixels.</summary>
    public const int MaxShift = 2;

    private static ImageSet Augment(ImageSet set, IReadOnlyList<int> indices, bool shift, SeededRandom random)
    {
        int c = set.Channels, h = set.Height, w = set.Width;
        var pixels = new byte[indices.Count * set.ImageBytes];
        for (var n = 0; n < indices.Count; n++)
        {
            var source = set.Image(indices[n]);
            var flip = random.Next(2) == 1;
            var dy = shift ? random.Next(-MaxShift, MaxShift + 1) : 0;
            var dx = shift ? random.Next(-MaxShift, MaxShift + 1) : 0;
            var target = pixels.AsSpan(n * set.ImageBytes, set.ImageBytes);
            for (var ch = 0; ch < c; ch++)
                for (var y = 0; y < h; y++)
                    for (var x = 0; x < w; x++)
                    {
                        // Output pixel (y, x) shows source pixel (y - dy, x' - dx), x' mirrored when flipping.
                        var sy = y - dy;
                        var sx = (flip ? w - 1 - x : x) - dx;
                        if (sy >= 0 && sy < h && sx >= 0 && sx < w) target[(ch * h + y) * w + x] = source[(ch * h + sy) * w + sx];
                    }
        }
        return new ImageSet(pixels, indices.Select(i => set.Labels[i]).ToArray(), c, h, w);
    }

    private void Grey(ReadOnlySpan<byte> image, Span<long> tokens)
    {
        var plane = height * width;
        if (channels == 1)
        {
            for (var i = 0; i < plane; i++) tokens[i] = image[i];
            return;
        }
        for (var i = 0; i < plane; i++)
            tokens[i] = (long)Math.Round(0.2989 * image[i] + 0.5870 * image[plane + i] + 0.1140 * image[2 * plane + i]);
    }

    /// <summary>Writes one image's steps, (length, features) row-major, standardised.</summary>
    private void Fill(ReadOnlySpan<byte> image, Span<float> output)
    {
        var plane = height * width;
        var k = 0;
        switch (format)
        {
            case ImageFormat.PixelFeatures:
                for (var i = 0; i < plane; i++)
                    for (var c = 0; c < channels; c++) output[k++] = Scale(image[c * plane + i], c);
                break;
            case ImageFormat.Rows:
                for (var y = 0; y < height; y++)
                    for (var x = 0; x < width; x++)
                        for (var c = 0; c < channels; c++) output[k++] = Scale(image[c * plane + y * width + x], c);
                break;
            default:
                for (var py = 0; py < height; py += patch)
                    for (var px = 0; px < width; px += patch)
                        for (var dy = 0; dy < patch; dy++)
                            for (var dx = 0; dx < patch; dx++)
                                for (var c = 0; c < channels; c++) output[k++] = Scale(image[c * plane + (py + dy) * width + px + dx], c);
                break;
        }
    }

    private float Scale(byte value, int channel) => (value / 255f - mean[channel]) / std[channel];
}
