using static TorchSharp.torch;
using Nsm.Models;
using Nsm.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

/// <summary>
/// What <see cref="NsmModel.Inspect"/> exports is what the layers used: routing and read
/// distributions, the slots after each chunk, and nothing about the model changes.
/// </summary>
public sealed class NsmInspectionTests
{
    public static TheoryData<string> Forms() => new()
    {
        "",
        "model.write_source=input",
        "model.write_source=input,model.propagator=decay,model.cross_layer_states=true",
        "model.router_top_k=2,model.router_heads=2",
        "model.router_null=false,model.local_attention=false",
        "model.router=slot",
        "model.write_source=input,model.router=slot,model.cross_layer_states=true",
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void RoutingAndReadsAreDistributionsOverTheSlots(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 37]);                    // 4 whole chunks of 8, 5 tokens open
        using var inspection = model.Inspect(tokens);
        for (var i = 0; i < inspection.Layers.Count; i++)
        {
            var layer = inspection.Layers[i];
            var routing = layer.Routing!;
            Assert.Equal([2L, 32L], routing.shape.Take(2));
            if (layer.RoutingKind == "token")
            {
                var total = routing.sum(-1) + layer.RoutingNull!;                  // (B, T, heads)
                TensorAssert.Close(ones_like(total), total, atol: 1e-5, what: "routing + null per token");
            }
            else
            {
                Assert.Equal("slot", layer.RoutingKind);
                var perChunk = routing.view(2, 4, 8, routing.shape[2], routing.shape[3]).sum(2);   // (B, C, heads, s)
                var total = perChunk + layer.RoutingNull!;
                if (model.Layers[i].TakesLowerSlots)
                    Assert.True(total.le(1 + 1e-5).all().item<bool>(), "slot attention + null key above 1 (the rest goes to the lower layer's slots)");
                else
                    TensorAssert.Close(ones_like(total), total, atol: 1e-5, what: "slot attention + null key per slot");
            }
            var reads = layer.ReadWeights!;
            Assert.Equal([2L, 4L, 37L, 8L], reads.shape);
            TensorAssert.Close(ones([2, 4, 37]), reads.sum(-1), atol: 1e-5, what: "read weights per token");
            var share = layer.ReadShare!;
            Assert.True(share.ge(0).all().item<bool>() && share.le(1).all().item<bool>(), "read share outside [0, 1]");
            Assert.Equal([2L, 4L, 8L, 32L], layer.Trajectory!.shape);
        }
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void InspectingChangesNeitherTheModelNorItsOutputs(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 37]);
        model.train();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var inspection = model.Inspect(tokens);
        Assert.True(model.training, "Inspect left the model in eval mode");
        foreach (var (name, t) in model.state_dict())
            Assert.True(t.equal(before[name]).all().item<bool>(), $"Inspect changed '{name}'");
        model.eval();
        using var noGrad = no_grad();
        TensorAssert.Close(model.forward(tokens, null), inspection.Output, atol: 0, what: "inspected vs plain outputs");
        Assert.True(model.Layers.All(l => l.Probe is null), "a probe stayed attached");
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void TheTrajectoryEndsAtTheStreamingStatesSlots(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 37]);
        using var inspection = model.Inspect(tokens);
        var (_, state) = model.Forward(tokens, model.InitialState(2));
        for (var i = 0; i < inspection.Layers.Count; i++)
        {
            var trajectory = inspection.Layers[i].Trajectory!;
            TensorAssert.Close(state[$"layers.{i}.slots"], trajectory.select(1, trajectory.shape[1] - 1), atol: 1e-6, what: $"layer {i} last slots");
        }
    }

    [Fact]
    public void ExportedRoutingIsTheRoutersOwnProbabilities()
    {
        // Parallel form: layer 0 writes its input, the embeddings, so its write inputs are known.
        using var model = NsmTestModels.Create("model.write_source=input", "model.router_top_k=3");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 16]);
        using var inspection = model.Inspect(tokens);
        var layer = model.Layers[0];
        var write = layer.WritePath();
        var x = model.Embed.forward(tokens);
        var (inputs, _) = write.WriteInputs(x.narrow(1, 8, 8), null, 0, null, x.narrow(1, 8 - (layer.WriteKernel - 1), layer.WriteKernel - 1));
        var expected = ((TokenRouter)write.Writer).Probabilities(inputs, layer.Manager.Context());   // (B, 8, heads, s)
        TensorAssert.Close(expected, inspection.Layers[0].Routing!.narrow(1, 8, 8), atol: 1e-6, what: "chunk 1's routing");
        Assert.True(inspection.Layers[0].Routing!.gt(0).sum(-1).le(3).all().item<bool>(), "top-3 routing gave mass to more than 3 slots");
    }

    [Theory]
    [InlineData("")]
    [InlineData("model.write_source=input")]
    [InlineData("model.router=slot")]
    public void PrunedSlotsGetNoRoutingAndNoReads(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        foreach (var layer in model.Layers) layer.Manager.ActiveMask[3] = tensor(false);
        using var inspection = model.Inspect(randint(0, NsmTestModels.Vocab, [1, 24]));
        foreach (var layer in inspection.Layers)
        {
            Assert.Equal(0.0, layer.Routing!.select(-1, 3).abs().max().item<float>(), 6);
            Assert.Equal(0.0, layer.ReadWeights!.select(-1, 3).abs().max().item<float>(), 6);
            Assert.False(layer.Active[3].item<bool>());
        }
    }

    [Fact]
    public void TheClassifierIsInspectedInNonCausalMode()
    {
        using var model = NsmTestModels.Create(NsmTestModels.Classifier());
        using var scope = NewDisposeScope();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 21]);
        var mask = ones([2, 21], ScalarType.Bool);
        mask[1, TensorIndex.Slice(15)] = tensor(false);
        using var inspection = model.Inspect(tokens, mask);
        var layer = inspection.Layers[0];
        Assert.Equal([2L, 21L], layer.Routing!.shape.Take(2));
        Assert.Equal(0.0, layer.Routing!.narrow(1, 15, 6)[1].abs().max().item<float>(), 6);        // padding routes nothing
        TensorAssert.Close(ones(new long[] { 15 }), (layer.Routing![1].sum(-1) + layer.RoutingNull![1]).narrow(0, 0, 15).mean([-1]), atol: 1e-5, what: "real tokens' routing");
        Assert.Equal(1, layer.Trajectory!.shape[1]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("model.router=slot,model.write_source=input")]
    public void SlotStatisticsHaveTheSharedNamesAndChangeNoOutput(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 40]);
        var plain = model.forward(tokens, null);
        model.Layers[1].Manager.ActiveMask[5] = tensor(false);
        var pruned = model.forward(tokens, null);
        ISlotStatistics stats = model;
        stats.WatchNextPass();
        TensorAssert.Close(pruned, model.forward(tokens, null), atol: 0, what: "watched vs plain pass");
        var values = stats.SlotStatistics();
        Assert.Equal(8, values[SlotStatisticKeys.ActiveSlots(0)]);
        Assert.Equal(7, values[SlotStatisticKeys.ActiveSlots(1)]);
        for (var i = 0; i < 2; i++)
        {
            var entropy = values[SlotStatisticKeys.WriteEntropy(i)];
            Assert.InRange(entropy, 0.01, Math.Log(41));
            Assert.InRange(values[SlotStatisticKeys.ImportanceMin(i)], 0, values[SlotStatisticKeys.ImportanceMean(i)]);
            Assert.Equal(8 * 32 * 4, values[SlotStatisticKeys.SlotStateBytes(i)]);
        }
        Assert.True(double.IsNaN(stats.SlotStatistics()[SlotStatisticKeys.WriteEntropy(0)]), "statistics without a watched pass report an entropy");
        Assert.Equal((1, 7), (stats.ActiveImportances()[1].Layer, stats.ActiveImportances()[1].Importances.Length));
        Assert.False(plain.equal(pruned).all().item<bool>());
    }
}
