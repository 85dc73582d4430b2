using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data.Images;
using Nsm.Modules;
using Nsm.Tests.Support;

namespace Nsm.Tests.Modules;

public sealed class InputStemTests
{
    // Two 3-channel 6x6 images with distinct pixels; patches of 3 make a 2x2 grid.
    static readonly PatchGrid Grid = new(Channels: 3, Rows: 2, Columns: 2, Size: 3);

    static ImageSet Images()
    {
        var pixels = Enumerable.Range(0, 2 * 3 * 6 * 6).Select(i => (byte)(i * 7 % 251)).ToArray();
        return new ImageSet(pixels, [1, 2], 3, 6, 6);
    }

    static Tensor Inputs(ImageFormat format, int patch) =>
        new ImageSequencer(format, patch, 3, 6, 6, [0, 0, 0], [1, 1, 1]).Collate(Images(), [0, 1], CPU).Inputs;

    [Fact]
    public void UnpatchifyRebuildsTheImageTheSequencerCut()
    {
        var image = Inputs(ImageFormat.PixelFeatures, 1)                     // (B, H*W, C), row-major pixels
            .reshape(2, 6, 6, 3).permute(0, 3, 1, 2);               // (B, C, H, W)
        var rebuilt = ConvPatchStem.Unpatchify(Inputs(ImageFormat.Patches, 3), Grid);
        Assert.Equal(new long[] { 2, 3, 6, 6 }, rebuilt.shape);
        Assert.True(rebuilt.equal(image).all().item<bool>(), "unpatchified patches differ from the image");
    }

    [Fact]
    public void StemMatchesAConvolutionThenAProjectionOfEachPatch()
    {
        manual_seed(3);
        var stem = new ConvPatchStem(Grid, channels: 4, dim: 5);
        var parameters = stem.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var image = Inputs(ImageFormat.PixelFeatures, 1).reshape(2, 6, 6, 3).permute(0, 3, 1, 2);
        // Reference: 3x3 convolution and GELU on the whole image, then each patch of the feature
        // map (row-major over the grid) dotted with the projection weights.
        var features = nn.functional.gelu(nn.functional.conv2d(image, parameters["conv.weight"], parameters["conv.bias"], padding: [1, 1]));
        var w = parameters["patchify.weight"].reshape(5, 4, 3, 3);  // (d, S*p*p) as a stride-p kernel (d, S, p, p)
        var tokens = new List<Tensor>();
        for (var r = 0; r < 2; r++)
            for (var c = 0; c < 2; c++)
            {
                var patch = features.narrow(2, 3 * r, 3).narrow(3, 3 * c, 3);          // (B, S, p, p)
                tokens.Add(einsum("bsyx,dsyx->bd", patch, w) + parameters["patchify.bias"]);
            }
        var expected = stack(tokens, 1);                            // (B, N, d)
        TensorAssert.Close(expected, stem.forward(Inputs(ImageFormat.Patches, 3)), what: "conv stem");
    }

    [Fact]
    public void APixelReachesOnlyThePatchesItsKernelTouches()
    {
        manual_seed(4);
        var stem = new ConvPatchStem(Grid, channels: 4, dim: 5);
        var patches = Inputs(ImageFormat.Patches, 3);
        var image = ConvPatchStem.Unpatchify(patches, Grid).clone();
        image[0, 0, 2, 1] += 1.0f;                                  // bottom row of patch (0, 0): the 3x3 kernel reaches patch (1, 0)
        var moved = image.reshape(2, 3, 2, 3, 2, 3).permute(0, 2, 4, 3, 5, 1).reshape(2, 4, 27);
        var change = (stem.forward(moved) - stem.forward(patches)).abs().amax(-1);   // (B, N)
        Assert.True(change[0, 0].item<float>() > 0 && change[0, 2].item<float>() > 0, "the patches under the kernel did not change");
        Assert.Equal(0f, change[0, 1].item<float>());
        Assert.Equal(0f, change[0, 3].item<float>());
        Assert.Equal(0f, change[1].abs().max().item<float>());
    }

    [Fact]
    public void ConvStemNeedsPatchInputs()
    {
        var tokens = new TaskSpec(10, 0, TaskOutput.Classification, 2, Causal: false, MaxLength: 8);
        var rows = new TaskSpec(0, 6, TaskOutput.Classification, 2, Causal: false, MaxLength: 6);
        Assert.Contains("image patch inputs", Assert.Throws<ConfigException>(() => new InputEmbedding(tokens, 8, InputStem.Conv)).Message);
        Assert.Contains("image patch inputs", Assert.Throws<ConfigException>(() => new InputEmbedding(rows, 8, InputStem.Conv)).Message);
        var patches = rows with { InputFeatures = 27, MaxLength = 4, Patches = Grid };
        var embed = new InputEmbedding(patches, 8, InputStem.Conv, 4);
        Assert.Equal(new long[] { 2, 4, 8 }, embed.forward(Inputs(ImageFormat.Patches, 3)).shape);
        Assert.Contains("(B, 4, 27)", Assert.Throws<ArgumentException>(() => embed.forward(zeros(2, 3, 27))).Message);
    }
}
