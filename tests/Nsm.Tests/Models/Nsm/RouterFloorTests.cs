using static TorchSharp.torch;
using Nsm.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

/// <summary>
/// <c>model.router_floor</c>: routing weights at or below the floor are exactly 0, the rest are
/// rescaled, and a slot that no weight above the floor reaches keeps its content bit for bit
/// over any length (the property long-context retrieval needs; softmax weights alone never reach 0).
/// </summary>
public sealed class RouterFloorTests : SingleThreadTest
{
    private const long D = 8;

    [Fact]
    public void WeightsAtOrBelowTheFloorAreZeroAndTheRestRescaled()
    {
        using var scope = NewDisposeScope();
        const double floor = 0.2;
        manual_seed(3);
        var plain = new TokenRouter(D, 4, 1, 1.0, 0, nullSlot: true);
        var floored = new TokenRouter(D, 4, 1, 1.0, 0, nullSlot: true, floor: floor);
        floored.load_state_dict(plain.state_dict());
        using (no_grad())
            foreach (var p in plain.parameters().Concat(floored.parameters())) p.mul_(4);   // spread the weights so some pass the floor
        var manager = new StateManager(4, 4, D, 0.0);
        var rows = randn(2, 50, D);
        var p0 = plain.Probabilities(rows, manager.Context());                    // (2, 50, 1, 4)
        var p1 = floored.Probabilities(rows, manager.Context());
        var expected = where(p0 > floor, (p0 - floor) / (1 - floor), zeros_like(p0));
        TensorAssert.Close(expected, p1, atol: 1e-7, rtol: 1e-6, what: "floored routing weights");
        var zeros = p1.eq(0).sum().item<long>();
        Assert.InRange(zeros, 1, p1.numel() - 1);                                  // both kinds occur: the check is not vacuous
        Assert.Equal(p0.le(floor).sum().item<long>(), zeros);
    }

    [Theory]
    [InlineData("model.write_source=input", "model.propagator=decay")]
    [InlineData("model.communication=none", "model.state_ffn_mult=0")]   // the sequential form: communication would change the slots after every chunk
    public void SlotsNobodyWritesAboveTheFloorKeepTheirContentExactly(params string[] variant)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 101]);
        // At initialisation every weight is near 1/(s + 1) = 0.11 (8 slots and the null slot).
        using var floored = NsmTestModels.Create([.. variant, "model.router_floor=0.9"]);
        var (_, after) = floored.Forward(tokens, floored.InitialState(2));
        var before = floored.InitialState(2);
        foreach (var key in new[] { "layers.0.slots", "layers.1.slots" })
            TensorAssert.Close(before.Tensors[key], after.Tensors[key], atol: 0, rtol: 0, what: $"{key} after 101 tokens under the floor");

        using var open = NsmTestModels.Create(variant);
        var (_, written) = open.Forward(tokens, open.InitialState(2));
        var change = (open.InitialState(2).Tensors["layers.1.slots"] - written.Tensors["layers.1.slots"]).abs().max().item<float>();
        Assert.True(change > 1e-4, $"without a floor the same tokens change the slots (largest change {change})");
    }
}
