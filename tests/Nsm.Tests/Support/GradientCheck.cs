using static TorchSharp.torch;

namespace Nsm.Tests.Support;

/// <summary>Compares two implementations of one function on outputs and on gradients of every input.</summary>
public static class GradientCheck
{
    /// <summary>
    /// Runs both functions on fresh leaf copies of the inputs, contracts every output with the same
    /// random weights, back-propagates, and asserts outputs and input gradients agree.
    /// </summary>
    public static void Agree(Func<Tensor[], Tensor[]> expected, Func<Tensor[], Tensor[]> actual, Tensor[] inputs,
        double atol, double rtol, string what)
    {
        using var scope = NewDisposeScope();
        var (outA, gradA) = Run(expected, inputs, seed: 11);
        var (outB, gradB) = Run(actual, inputs, seed: 11);
        Assert.Equal(outA.Length, outB.Length);
        for (var i = 0; i < outA.Length; i++)
            TensorAssert.Close(outA[i], outB[i], atol, rtol, $"{what}: output {i}");
        for (var i = 0; i < inputs.Length; i++)
        {
            if (gradA[i] is null && gradB[i] is null) continue;
            Assert.True(gradA[i] is not null && gradB[i] is not null, $"{what}: only one side has a gradient for input {i}");
            TensorAssert.Close(gradA[i]!, gradB[i]!, atol, rtol, $"{what}: gradient of input {i}");
        }
    }

    private static (Tensor[] Outputs, Tensor?[] Gradients) Run(Func<Tensor[], Tensor[]> f, Tensor[] inputs, long seed)
    {
        var leaves = inputs.Select(x => x.detach().clone().requires_grad_(x.is_floating_point())).ToArray();
        var outputs = f(leaves);
        var generator = new Generator((ulong)seed);
        Tensor? loss = null;
        foreach (var output in outputs)
        {
            var weights = randn(output.shape, generator: generator);
            var term = (output * weights).sum();
            loss = loss is null ? term : loss + term;
        }
        loss!.backward();
        return (outputs.Select(o => o.detach()).ToArray(), leaves.Select(l => l.grad).ToArray());
    }
}
