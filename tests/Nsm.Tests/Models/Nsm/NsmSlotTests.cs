using TorchSharp;
using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

public sealed class NsmSlotTests
{
    [Theory]
    [InlineData("")]
    [InlineData("model.router=slot,model.communication=topk,model.communication_top_k=3,model.propagator=lstm")]
    [InlineData("model.cross_layer_states=true,model.router_top_k=3,model.fusion=gated")]
    public void InactiveSlotsHaveNoInfluence(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 40]);
        int[] inactive = [1, 4, 6];
        foreach (var layer in model.Layers)
            foreach (var j in inactive) layer.Manager.ActiveMask[j] = tensor(false);
        var before = model.forward(tokens, null);

        // Scramble everything that belongs to the inactive slots.
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith("state_init") || name.EndsWith("importance"))
                foreach (var j in inactive) p[j] = randn_like(p[j]) * 5;
            if (name.EndsWith("route_proj.weight"))
            {
                var slots = model.Layers[0].Manager.Capacity;
                var view = p.view(-1, slots, p.shape[1]);
                foreach (var j in inactive) view[.., j] = randn_like(view[.., j]) * 5;
            }
        }
        var after = model.forward(tokens, null);
        TensorAssert.Close(before, after, atol: 1e-6, rtol: 0, what: "outputs after changing inactive slots");
        Assert.Equal([5L, 5L], model.NumActiveStates);
    }

    [Theory]
    [InlineData("")]
    [InlineData("model.router=slot,model.propagator=lstm,model.cross_layer_states=true")]
    public void CompactKeepsOutputsAndShrinksState(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 45]);
        foreach (var layer in model.Layers)
            foreach (var j in new[] { 0, 3, 5, 7 }) layer.Manager.ActiveMask[j] = tensor(false);
        var before = model.forward(tokens, null);
        var streamedBefore = NsmStreamingTests.Stream(model, tokens, [7]);
        var bytesBefore = model.SlotStateBytes(2);
        var stateBefore = model.InitialState(2).ByteSize;

        model.Compact();

        Assert.Equal([4L, 4L], model.NumActiveStates);
        Assert.All(model.Layers, l => Assert.Equal(4, l.Manager.Capacity));
        TensorAssert.Close(before, model.forward(tokens, null), atol: 1e-5, what: "outputs after Compact");
        TensorAssert.Close(streamedBefore, NsmStreamingTests.Stream(model, tokens, [7]), atol: 1e-5, what: "streamed outputs after Compact");
        Assert.Equal(bytesBefore / 2, model.SlotStateBytes(2));
        Assert.True(model.InitialState(2).ByteSize < stateBefore);
        Assert.Throws<ArgumentException>(() => model.Forward(tokens, StateOfCapacity(8)));

        static ModelState StateOfCapacity(long slots) => new(new Dictionary<string, Tensor>
        {
            ["layers.0.slots"] = zeros(2, slots, 32), ["layers.0.partial"] = zeros(2, 0, 32),
        }, 0);
    }

    [Fact]
    public void PruningFollowsImportanceAndAllocationFollowsSaturation()
    {
        using var model = NsmTestModels.Create("model.max_states=8", "model.initial_states=4", "model.prune_threshold=0.5", "model.allocate_threshold=0.01");
        var manager = model.Layers[0].Manager;
        Assert.Equal(4, manager.NumActive);
        using (no_grad()) manager.Importance[2] = tensor(-3f);        // sigmoid = 0.05 < 0.5
        Assert.Equal(1, manager.Prune(0.5));
        Assert.Equal(3, manager.NumActive);
        Assert.False(manager.ActiveMask[2].item<bool>());

        // No statistics yet: nothing is saturated.
        Assert.False(manager.Allocate(0.01));
        model.train();
        using (var scope = NewDisposeScope()) model.forward(randint(0, NsmTestModels.Vocab, [2, 32]), null);
        Assert.True(manager.WriteUsage.sum().item<float>() > 0, "a training pass should record write usage");
        Assert.True(manager.ReadUsage.sum().item<float>() > 0, "a training pass should record read usage");
        Assert.True(manager.Allocate(0.01));
        Assert.Equal(4, manager.NumActive);
        Assert.True(manager.ActiveMask[2].item<bool>(), "the first free slot is allocated");
    }

    [Fact]
    public void ForwardPassesNeverChangeTheSlots()
    {
        // Management moved between optimizer steps (the Trainer calls ManageStates): a forward pass
        // that pruned would leave its autograd graph with the old shapes.
        using var model = NsmTestModels.Create("model.prune_threshold=0.5", "model.manage_states_every=1");
        model.train();
        using (no_grad())
            foreach (var layer in model.Layers) layer.Manager.Importance[5] = tensor(-4f);
        using var scope = NewDisposeScope();
        var tokens = randint(0, NsmTestModels.Vocab, [1, 16]);
        model.forward(tokens, null);
        model.forward(tokens, null);
        Assert.Equal([8L, 8L], model.NumActiveStates);
        var change = model.ManageStates();
        Assert.Equal(2, change.Pruned);
        Assert.Equal([7L, 7L], model.NumActiveStates);
        Assert.All(model.Layers, l => Assert.Equal(7, l.Manager.Capacity));
    }
}
