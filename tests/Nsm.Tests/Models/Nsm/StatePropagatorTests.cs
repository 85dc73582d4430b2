using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

public sealed class StatePropagatorTests
{
    /// <summary>The parallel form's split update (input side batched, slot side per step) is the plain update.</summary>
    [Theory]
    [InlineData(NsmPropagator.Gru)]
    [InlineData(NsmPropagator.Lstm)]
    [InlineData(NsmPropagator.Linear)]
    [InlineData(NsmPropagator.Decay)]
    public void StepFromInputTermsEqualsUpdateOnOutputsAndGradients(NsmPropagator kind)
    {
        manual_seed(3);
        using var propagator = StatePropagator.Create(kind, 16);
        using var scope = NewDisposeScope();
        var slots = randn(2, 5, 16);
        var cells = propagator.HasCells ? randn(2, 5, 16) : null;
        var candidate = randn(2, 5, 16);
        var mass = rand(2, 5, 16) * 2;

        var (plain, plainCells) = propagator.Update(slots, cells, candidate, mass);
        var plainGrads = Gradients(propagator, plain.sum() + (plainCells?.sum() ?? zeros(1)));
        var (split, splitCells) = propagator.Step(slots, cells, propagator.InputTerms(candidate, mass));
        var splitGrads = Gradients(propagator, split.sum() + (splitCells?.sum() ?? zeros(1)));

        TensorAssert.Close(plain, split, atol: 1e-6, what: "slots");
        if (plainCells is not null) TensorAssert.Close(plainCells, splitCells!, atol: 1e-6, what: "cells");
        foreach (var (name, grad) in plainGrads)
            TensorAssert.Close(grad, splitGrads[name], atol: 1e-5, what: $"gradient of {name}");
    }

    [Fact]
    public void WithoutWriteMassTheSlotsAndCellsStayAsTheyWere()
    {
        manual_seed(4);
        foreach (var kind in Enum.GetValues<NsmPropagator>())
        {
            using var propagator = StatePropagator.Create(kind, 8);
            using var scope = NewDisposeScope();
            var slots = randn(1, 3, 8);
            var cells = propagator.HasCells ? randn(1, 3, 8) : null;
            var (next, nextCells) = propagator.Step(slots, cells, propagator.InputTerms(randn(1, 3, 8), zeros(1, 3, 8)));
            TensorAssert.Close(slots, next, atol: 0, rtol: 0, what: $"{kind} slots");
            if (cells is not null) TensorAssert.Close(cells, nextCells!, atol: 0, rtol: 0, what: $"{kind} cells");
        }
    }

    private static Dictionary<string, Tensor> Gradients(StatePropagator propagator, Tensor loss)
    {
        propagator.zero_grad();
        loss.backward();
        return propagator.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
    }
}
