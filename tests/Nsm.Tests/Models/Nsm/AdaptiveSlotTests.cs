using TorchSharp;
using static TorchSharp.torch;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

/// <summary>
/// The adaptive NSM's slots are physical: pruning removes them from every tensor, allocation
/// appends them, and the model then computes (and costs) exactly what a model built with that
/// many slots would.
/// </summary>
public sealed class AdaptiveSlotTests
{
    static readonly string[] Adaptive = ["model.max_states=8", "model.initial_states=4", "model.prune_threshold=0.5", "model.allocate_threshold=0.01"];

    [Fact]
    public void ManageStatesRemovesPrunedSlotsAndAppendsNewOnes()
    {
        using var model = NsmTestModels.Create(Adaptive);
        using var scope = NewDisposeScope();
        model.train();
        model.forward(randint(0, NsmTestModels.Vocab, [2, 32]), null);          // usage statistics: the active slots are saturated
        Assert.Equal([8L, 8L], model.Layers.Select(l => l.Manager.Capacity));
        var initBefore = model.Layers[0].Manager.named_parameters().Single(p => p.name == "state_init").parameter.detach().clone();
        var routeBefore = RouteWeight(model, 0).detach().clone().view(1, 8, 32);  // (heads, s, d)
        using (no_grad())
            foreach (var layer in model.Layers) layer.Manager.Importance[2] = tensor(-3f);

        var change = model.ManageStates();

        Assert.Equal(2, change.Pruned);
        Assert.Equal(2, change.Allocated);
        foreach (var layer in model.Layers)
        {
            Assert.Equal(4, layer.Manager.Capacity);
            Assert.Equal(4, layer.Manager.NumActive);
            Assert.Equal(3f, layer.Manager.Importance[3].item<float>());
            Assert.Equal(0f, layer.Manager.WriteUsage[3].item<float>());
        }
        // Slots 0, 1 and 3 of the four active ones stay (in order), a new one is appended.
        Assert.Equal([[0L, 1L, 3L], [0L, 1L, 2L, -1L]], DistinctSources(change));
        var init = model.Layers[0].Manager.named_parameters().Single(p => p.name == "state_init").parameter;
        Assert.Equal([4L, 32L], init.shape);
        TensorAssert.Close(initBefore.index_select(0, tensor(new long[] { 0, 1, 3 })), init.narrow(0, 0, 3), atol: 0, rtol: 0, what: "kept initial slots");
        var route = RouteWeight(model, 0);
        Assert.Equal([4L, 32L], route.shape);
        TensorAssert.Close(routeBefore.index_select(1, tensor(new long[] { 0, 1, 3 })).view(3, 32), route.narrow(0, 0, 3), atol: 0, rtol: 0, what: "kept routing rows");
        Assert.True(route[3].abs().max().item<float>() > 0, "a new slot gets routing weights of its own");
    }

    [Fact]
    public void AllocationStopsAtMaxStates()
    {
        using var model = NsmTestModels.Create("model.max_states=5", "model.initial_states=4", "model.allocate_threshold=0.01");
        using var scope = NewDisposeScope();
        model.train();
        model.Compact();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 32]);
        for (var i = 0; i < 3; i++)
        {
            model.forward(tokens, null);
            model.ManageStates();
        }
        Assert.Equal([5L, 5L], model.Layers.Select(l => l.Manager.Capacity));
    }

    [Theory]
    [InlineData("")]
    [InlineData("model.router=slot,model.propagator=lstm,model.cross_layer_states=true,model.router_heads=2")]
    [InlineData("model.communication=topk,model.communication_top_k=3,model.write_source=input,model.propagator=decay")]
    public void PrunedModelComputesWhatAModelWithThatManySlotsComputes(string variant)
    {
        using var model = NsmTestModels.Create([.. NsmTestModels.Split(variant), .. Adaptive]);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 45]);
        foreach (var layer in model.Layers)
        {
            layer.Manager.Importance[1] = tensor(-3f);
            layer.Manager.Prune(0.5);                                             // masked: still computed
        }
        var before = model.forward(tokens, null);
        var streamedBefore = NsmStreamingTests.Stream(model, tokens, [7]);
        var flopsBefore = model.EstimateFlops(45);
        var bytesBefore = model.SlotStateBytes(1);

        var remaps = model.ManageStates().Remaps;

        Assert.NotEmpty(remaps);
        Assert.Equal([3L, 3L], model.Layers.Select(l => l.Manager.Capacity));
        TensorAssert.Close(before, model.forward(tokens, null), atol: 1e-5, what: "outputs after the slots left the tensors");
        TensorAssert.Close(streamedBefore, NsmStreamingTests.Stream(model, tokens, [7]), atol: 1e-5, what: "streamed outputs");
        Assert.Equal(bytesBefore * 3 / 8, model.SlotStateBytes(1));
        Assert.Equal([2L, 3L, 32L], model.InitialState(2).Tensors["layers.1.slots"].shape);
        // The step costs exactly what a 3-slot model's step costs, and less than the 8-slot capacity's.
        using var three = NsmTestModels.Create(NsmTestModels.Split(variant).Append("model.num_states=3").ToArray());
        var flops = model.EstimateFlops(45);
        Assert.Equal(three.EstimateFlops(45).Forward, flops.Forward, 6);
        Assert.True(flops.Forward < flopsBefore.Forward, $"{flops.Forward} FLOPs per token after pruning vs {flopsBefore.Forward} before");
    }

    [Fact]
    public void TheTensorsComputedHoldOnlyTheActiveSlots()
    {
        using var model = NsmTestModels.Create(Adaptive);
        using var scope = NewDisposeScope();
        var tokens = randint(0, NsmTestModels.Vocab, [1, 24]);
        Assert.Equal(8, ReadSlots(model, tokens));                                // masked slots are computed before compaction
        model.ManageStates();
        Assert.Equal(4, ReadSlots(model, tokens));

        static long ReadSlots(global::Nsm.Models.Nsm.NsmModel model, Tensor tokens)
        {
            using var inspection = model.Inspect(tokens);
            return inspection.Layers[0].ReadWeights!.shape[^1];
        }
    }

    [Fact]
    public void NewSlotsTakePartAndLearn()
    {
        using var model = NsmTestModels.Create(Adaptive);
        using var scope = NewDisposeScope();
        model.Compact();
        foreach (var layer in model.Layers) layer.Grow(1);
        model.train();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 32]);
        model.forward(tokens, null).pow(2).mean().backward();
        foreach (var (name, p) in model.named_parameters().Where(p => p.name.EndsWith("manager.state_init") || p.name.EndsWith("manager.importance") || p.name.EndsWith("route_proj.weight")))
        {
            Assert.Equal(5, p.shape[0]);
            Assert.True(p.grad!.narrow(0, 4, 1).abs().sum().item<float>() > 0, $"{name}: the new slot gets a gradient");
        }
    }

    [Fact]
    public void SetSlotCountsRebuildsASavedSizeAndRefusesTooMany()
    {
        using var model = NsmTestModels.Create(Adaptive);
        model.SetSlotCounts([(0, 3), (1, 6)]);
        Assert.Equal([(0, 3L), (1, 6L)], model.SlotCounts);
        Assert.Equal([3L, 6L], model.NumActiveStates);
        var error = Assert.Throws<ArgumentException>(() => model.SetSlotCounts([(1, 9)]));
        Assert.Contains("model.max_states", error.Message);
    }

    static Tensor RouteWeight(global::Nsm.Models.Nsm.NsmModel model, int layer) =>
        model.named_parameters().Single(p => p.name == $"layers.{layer}.writer.route_proj.weight").parameter;

    /// <summary>The distinct row moves of a pass, in order (every per-slot parameter of a layer moves alike).</summary>
    static List<long[]> DistinctSources(global::Nsm.Models.Nsm.SlotChange change) => change.Remaps.Select(r => r.Source).Distinct(new SourceComparer()).ToList();

    sealed class SourceComparer : IEqualityComparer<long[]>
    {
        public bool Equals(long[]? a, long[]? b) => a!.SequenceEqual(b!);
        public int GetHashCode(long[] a) => a.Length;
    }
}
