using Nsm.Distributed;
using static TorchSharp.torch;

namespace Nsm.Tests.Distributed;

/// <summary>The weight hash sees a one-bit change, and the comparison names the ranks that differ.</summary>
public sealed class ReplicaCheckTests
{
    [Fact]
    public void TheHashSeesTheLastBitOfOneWeight()
    {
        using var a = randn(3, 5);
        using var b = a.clone();
        Assert.Equal(ReplicaCheck.Hash([a, b]), ReplicaCheck.Hash([a.clone(), b.clone()]));
        var value = b[1, 2].item<float>();
        b[1, 2] = tensor(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(value) ^ 1));
        Assert.NotEqual(ReplicaCheck.Hash([a, a]), ReplicaCheck.Hash([a, b]));
    }

    [Fact]
    public void TheRanksThatDifferFromRankZeroAreNamed()
    {
        Assert.Empty(ReplicaCheck.Differing([7, 7, 7]));
        Assert.Equal(new[] { 2 }, ReplicaCheck.Differing([7, 7, 9]));
        Assert.Equal(new[] { 1, 3 }, ReplicaCheck.Differing([7, 8, 7, 8]));
    }

    [Fact]
    public void OneProcessChecksItselfWithoutMpi()
    {
        using var a = ones(4);
        ReplicaCheck.Check(Communicator.Single, [a], step: 1);
    }
}
