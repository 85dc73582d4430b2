using static TorchSharp.torch;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

/// <summary>The batched NTM addressing and memory ops against the row-by-row reference and hand-computed cases.</summary>
public sealed class NtmAddressingTests
{
    /// <summary>Raw inputs of one addressing + write + read step, with gradients on.</summary>
    private sealed record Inputs(Tensor Memory, Tensor Previous, Tensor Key, Tensor Strength, Tensor Gate, Tensor Shift, Tensor Sharpening, Tensor Erase, Tensor Add, Tensor ReadPrevious)
    {
        public Tensor[] All => [Memory, Previous, Key, Strength, Gate, Shift, Sharpening, Erase, Add, ReadPrevious];

        public static Inputs Random(long batch, long heads, long rows, long width, int seed)
        {
            manual_seed(seed);
            Tensor Leaf(Tensor t) => t.detach().requires_grad_();
            return new Inputs(
                Leaf(randn(batch, rows, width)),
                Leaf(randn(batch, heads, rows).softmax(-1)),
                Leaf(randn(batch, heads, width)),
                Leaf(rand(batch, heads) * 5),
                Leaf(rand(batch, heads)),
                Leaf(randn(batch, heads, NtmAddressing.ShiftCount).softmax(-1)),
                Leaf(1 + rand(batch, heads) * 3),
                Leaf(rand(batch, heads, width)),
                Leaf(randn(batch, heads, width)),
                Leaf(randn(batch, 1, rows).softmax(-1)));
        }
    }

    /// <summary>Write with every head, then read one head with the key of head 0: the outputs a loss is taken of.</summary>
    private static (Tensor Weights, Tensor Memory, Tensor Read) Fast(Inputs x)
    {
        var weights = NtmAddressing.Address(x.Memory, x.Previous, new NtmHeadParameters(x.Key, x.Strength, x.Gate, x.Shift, x.Sharpening));
        var memory = NtmAddressing.Write(x.Memory, weights, x.Erase, x.Add);
        var readHead = new NtmHeadParameters(x.Key.narrow(1, 0, 1), x.Strength.narrow(1, 0, 1), x.Gate.narrow(1, 0, 1), x.Shift.narrow(1, 0, 1), x.Sharpening.narrow(1, 0, 1));
        var readWeights = NtmAddressing.Address(memory, x.ReadPrevious, readHead);
        return (weights, memory, NtmAddressing.Read(memory, readWeights));
    }

    private static (Tensor Weights, Tensor Memory, Tensor Read) Reference(Inputs x)
    {
        var (batch, heads) = (x.Memory.shape[0], x.Key.shape[1]);
        var (allWeights, memories, reads) = (new List<Tensor>(), new List<Tensor>(), new List<Tensor>());
        for (var b = 0; b < batch; b++)
        {
            var weights = Enumerable.Range(0, (int)heads).Select(h => NtmReference.Address(x.Memory[b], x.Previous[b, h], x.Key[b, h], x.Strength[b, h], x.Gate[b, h], x.Shift[b, h], x.Sharpening[b, h])).ToList();
            var memory = NtmReference.Write(x.Memory[b], weights, Enumerable.Range(0, (int)heads).Select(h => x.Erase[b, h]).ToList(), Enumerable.Range(0, (int)heads).Select(h => x.Add[b, h]).ToList());
            var readWeights = NtmReference.Address(memory, x.ReadPrevious[b, 0], x.Key[b, 0], x.Strength[b, 0], x.Gate[b, 0], x.Shift[b, 0], x.Sharpening[b, 0]);
            allWeights.Add(stack(weights));
            memories.Add(memory);
            reads.Add(NtmReference.Read(memory, readWeights).unsqueeze(0));
        }
        return (stack(allWeights), stack(memories), stack(reads));
    }

    [Theory]
    [InlineData(2, 1, 5, 3)]
    [InlineData(2, 3, 7, 4)]
    [InlineData(1, 2, 2, 3)]
    [InlineData(1, 2, 1, 2)]
    public void BatchedOpsEqualTheReferenceInOutputsAndGradients(long batch, long heads, long rows, long width)
    {
        using var scope = NewDisposeScope();
        var x = Inputs.Random(batch, heads, rows, width, seed: (int)(rows * 10 + heads));
        var fast = Fast(x);
        var reference = Reference(x);
        TensorAssert.Close(reference.Weights, fast.Weights, atol: 1e-5, what: "write weightings");
        TensorAssert.Close(reference.Memory, fast.Memory, atol: 1e-5, what: "memory after the write");
        TensorAssert.Close(reference.Read, fast.Read, atol: 1e-5, what: "read vector");

        // One random linear loss over all three outputs, so every path contributes to every gradient.
        manual_seed(3);
        var (c1, c2, c3) = (randn_like(fast.Weights), randn_like(fast.Memory), randn_like(fast.Read));
        Tensor Loss((Tensor W, Tensor M, Tensor R) o) => (o.W * c1).sum() + (o.M * c2).sum() + (o.R * c3).sum();
        var fastGrads = autograd.grad([Loss(fast)], x.All);
        var referenceGrads = autograd.grad([Loss(reference)], x.All);
        string[] names = ["memory", "previous", "key", "strength", "gate", "shift", "sharpening", "erase", "add", "read previous"];
        for (var i = 0; i < names.Length; i++)
            TensorAssert.Close(referenceGrads[i], fastGrads[i], atol: 1e-4, what: $"gradient of {names[i]}");
    }

    [Fact]
    public void EveryWeightingIsADistribution()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = Inputs.Random(3, 4, 9, 5, seed: 11);
        var weights = Fast(x).Weights;
        Assert.True(weights.ge(0).all().item<bool>(), "a weighting has a negative entry");
        TensorAssert.Close(ones(3, 4), weights.sum(-1), atol: 1e-5, what: "weighting sums");
    }

    [Fact]
    public void ShiftMovesTheFocusCircularly()
    {
        using var scope = NewDisposeScope();
        var focus = tensor(new float[] { 0, 1, 0, 0, 0 }).view(1, 1, 5);
        var last = tensor(new float[] { 0, 0, 0, 0, 1 }).view(1, 1, 5);
        Tensor ShiftBy(float down, float stay, float up) => tensor(new[] { down, stay, up }).view(1, 1, 3);
        TensorAssert.Close(tensor(new float[] { 0, 0, 1, 0, 0 }).view(1, 1, 5), NtmAddressing.Shift(focus, ShiftBy(0, 0, 1)), atol: 0, what: "+1");
        TensorAssert.Close(tensor(new float[] { 1, 0, 0, 0, 0 }).view(1, 1, 5), NtmAddressing.Shift(focus, ShiftBy(1, 0, 0)), atol: 0, what: "-1");
        TensorAssert.Close(tensor(new float[] { 1, 0, 0, 0, 0 }).view(1, 1, 5), NtmAddressing.Shift(last, ShiftBy(0, 0, 1)), atol: 0, what: "+1 wraps around");
        TensorAssert.Close(tensor(new float[] { 0.25f, 0.5f, 0.25f, 0, 0 }).view(1, 1, 5), NtmAddressing.Shift(focus, ShiftBy(0.25f, 0.5f, 0.25f)), atol: 1e-7, what: "a spread shift blurs");
    }

    [Fact]
    public void SharpeningRaisesToGammaAndRenormalises()
    {
        using var scope = NewDisposeScope();
        var weights = tensor(new[] { 0.5f, 0.25f, 0.25f }).view(1, 1, 3);
        TensorAssert.Close(tensor(new[] { 2f / 3, 1f / 6, 1f / 6 }).view(1, 1, 3), NtmAddressing.Sharpen(weights, tensor(new[] { 2f }).view(1, 1)), atol: 1e-6, what: "gamma 2");
        TensorAssert.Close(weights, NtmAddressing.Sharpen(weights, tensor(new[] { 1f }).view(1, 1)), atol: 1e-6, what: "gamma 1 keeps the weighting");
    }

    [Fact]
    public void EraseThenAddFollowTheEquations()
    {
        using var scope = NewDisposeScope();
        var memory = ones(1, 2, 2);
        var weights = tensor(new[] { 1f, 0f }).view(1, 1, 2);
        var erase = tensor(new[] { 1f, 0f }).view(1, 1, 2);
        var add = tensor(new[] { 0.5f, 0.5f }).view(1, 1, 2);
        TensorAssert.Close(tensor(new[] { 0.5f, 1.5f, 1f, 1f }).view(1, 2, 2), NtmAddressing.Write(memory, weights, erase, add), atol: 1e-7, what: "one head");
        // Two heads on one row erase multiplicatively: (1 - 0.5)(1 - 0.5) = 0.25 is kept, and both adds land.
        var both = tensor(new[] { 1f, 0f, 1f, 0f }).view(1, 2, 2);
        var halfErase = full([1, 2, 2], 0.5f);
        var adds = tensor(new[] { 1f, 0f, 0f, 2f }).view(1, 2, 2);
        TensorAssert.Close(tensor(new[] { 1.25f, 2.25f, 1f, 1f }).view(1, 2, 2), NtmAddressing.Write(memory, both, halfErase, adds), atol: 1e-7, what: "two heads");
    }

    [Fact]
    public void ContentAddressingFindsTheMatchingRow()
    {
        using var scope = NewDisposeScope();
        var memory = tensor(new[] { 1f, 0f, 0f, 1f, -1f, 0f }).view(1, 3, 2);
        var key = tensor(new[] { 0f, 3f }).view(1, 1, 2);
        var weights = NtmAddressing.ContentWeights(memory, key, tensor(new[] { 50f }).view(1, 1));
        Assert.True(weights[0, 0, 1].item<float>() > 0.999f, $"weight on the matching row: {weights[0, 0, 1].item<float>()}");
        var flat = NtmAddressing.ContentWeights(memory, key, zeros(1, 1));
        TensorAssert.Close(full([1, 1, 3], 1f / 3), flat, atol: 1e-6, what: "strength 0 is uniform");
    }
}
