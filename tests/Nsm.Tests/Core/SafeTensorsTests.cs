using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Tests.Support;

namespace Nsm.Tests.Core;

public sealed class SafeTensorsTests
{
    [Fact]
    public void RoundTripKeepsNamesShapesDtypesValuesAndMetadata()
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("w.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["layers.0.weight"] = randn(3, 4),
            ["ids"] = arange(5, dtype: ScalarType.Int64),
            ["mask"] = tensor(new[] { true, false, true }),
            ["scalar"] = tensor(2.5),
        };
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["note"] = "hi" });
        var (loaded, metadata) = SafeTensors.Load(path);
        Assert.Equal("hi", metadata["note"]);
        Assert.Equal(tensors.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.dtype, loaded[name].dtype);
            Assert.True(t.equal(loaded[name]).all().item<bool>(), name);
        }
    }

    [Fact]
    public void HeaderIsTheDocumentedLayout()
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = ones(2, 2) });
        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, headerLength % 8);
        var header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)headerLength).Trim();
        Assert.Equal("""{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}""", header);
        Assert.Equal(8 + headerLength + 16, bytes.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(30)]
    public void TruncatedFilesAreRejectedWithAClearError(int keep)
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = ones(4, 4) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..Math.Min(keep, bytes.Length - 1)]);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains("w.safetensors", error.Message);
    }

    /// <summary>Headers a mutation can make that still parse: each is one InvalidDataException, before any tensor is allocated.</summary>
    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4000000000000,4000000000000],"data_offsets":[0,16]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1000000000000],"data_offsets":[0,16]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2305843009213693950],"data_offsets":[0,9223372036854775800]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16,32]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4.5],"data_offsets":[0,16]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":4,"data_offsets":[0,16]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"__metadata__":{"x":1}}""")]
    [InlineData("""{"a":[]}""")]
    [InlineData("""[]""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""")]
    public void ParseableButWrongHeadersAreRejectedWithAClearError(string header)
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("w.safetensors");
        var text = System.Text.Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)text.Length), .. text, .. new byte[16]]);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.StartsWith(path, error.Message);
    }

    [Fact]
    public void AFailedWriteLeavesThePreviousFileIntact()
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = ones(2) });
        var before = File.ReadAllBytes(path);
        Assert.ThrowsAny<Exception>(() => AtomicFile.Write(path, tmp =>
        {
            File.WriteAllText(tmp, "partial");
            throw new IOException("disk full");
        }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
