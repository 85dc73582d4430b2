using static TorchSharp.torch;

namespace Nsm.Tests.Support;

/// <summary>
/// Compares a fast module (which owns its parameters) with a reference function (which takes the
/// same parameters as plain tensors) on outputs and on the gradients of every input and every
/// parameter.
/// </summary>
public static class ParameterGradientCheck
{
    /// <summary>
    /// fast: runs the module on leaf copies of inputs; parameters: the module's (name, parameter)
    /// pairs, whose gradients it produces; reference: runs on leaf copies of the inputs and of the
    /// parameters, by name. Every output is contracted with the same random weights before the backward pass.
    /// </summary>
    public static void Agree(Func<Tensor[], Tensor[]> fast, IReadOnlyList<(string Name, Tensor Parameter)> parameters,
        Func<Tensor[], IReadOnlyDictionary<string, Tensor>, Tensor[]> reference, Tensor[] inputs, double atol, double rtol, string what)
    {
        using var scope = NewDisposeScope();
        foreach (var (_, p) in parameters) p.grad = null;
        var fastLeaves = Leaves(inputs);
        var fastOut = fast(fastLeaves);
        Backward(fastOut);
        var fastParamGrads = parameters.Select(p => p.Parameter.grad?.clone()).ToArray();
        foreach (var (_, p) in parameters) p.grad = null;

        var refLeaves = Leaves(inputs);
        var refParams = parameters.ToDictionary(p => p.Name, p => p.Parameter.detach().clone().requires_grad_(true));
        var refOut = reference(refLeaves, refParams);
        Backward(refOut);

        Assert.Equal(refOut.Length, fastOut.Length);
        for (var i = 0; i < refOut.Length; i++)
            TensorAssert.Close(refOut[i].detach(), fastOut[i].detach(), atol, rtol, $"{what}: output {i}");
        for (var i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].is_floating_point()) continue;
            TensorAssert.Close(OrZeros(refLeaves[i].grad, inputs[i]), OrZeros(fastLeaves[i].grad, inputs[i]), atol, rtol, $"{what}: gradient of input {i}");
        }
        for (var i = 0; i < parameters.Count; i++)
        {
            var (name, p) = parameters[i];
            TensorAssert.Close(OrZeros(refParams[name].grad, p), OrZeros(fastParamGrads[i], p), atol, rtol, $"{what}: gradient of {name}");
        }
    }

    /// <summary>The module's parameters as (name, tensor) pairs, with extra ones appended.</summary>
    public static IReadOnlyList<(string Name, Tensor Parameter)> Of(TorchSharp.torch.nn.Module module, params (string, Tensor)[] extra) =>
        [.. module.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), .. extra];

    private static Tensor[] Leaves(Tensor[] inputs) =>
        inputs.Select(x => x.detach().clone().requires_grad_(x.is_floating_point())).ToArray();

    private static Tensor OrZeros(Tensor? grad, Tensor like) => grad is null ? zeros_like(like) : grad.detach();

    private static void Backward(Tensor[] outputs)
    {
        var generator = new Generator(11);
        Tensor? loss = null;
        foreach (var output in outputs)
        {
            var term = (output * randn(output.shape, generator: generator)).sum();
            loss = loss is null ? term : loss + term;
        }
        loss!.backward();
    }
}
