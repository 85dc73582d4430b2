using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
using Nsm.Registry;

namespace Nsm.Tests.Models;

public sealed class FlopEstimateTests
{
    /// <summary>A kind that states no FLOP formula: a token embedding and one 8 x 8 projection.</summary>
    private sealed class DenseOnlyModel : SequenceModel
    {
        private readonly Embedding tok_emb;
        private readonly Linear proj;

        public DenseOnlyModel(TaskSpec spec) : base(nameof(DenseOnlyModel), spec, dModel: 8)
        {
            tok_emb = nn.Embedding(spec.VocabSize, 8);
            proj = nn.Linear(8, 8);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input, Tensor? paddingMask) => proj.forward(tok_emb.forward(input));
    }

    [Fact]
    public void AModelWithoutAFormulaCountsDenseWeightsOnly()
    {
        // proj.weight 2*8*8 = 128; its bias (one dimension) and the embedding lookup: 0; per-token head 2*8*10 = 160.
        using var model = new DenseOnlyModel(new TaskSpec(10, 0, TaskOutput.PerToken, 10, Causal: true, MaxLength: 16));
        var flops = model.EstimateFlops(16);
        Assert.Equal(new FlopEstimate(128 + 160, 0, FlopEstimate.DenseOnlyMethod), flops);
        Assert.Equal("dense weights only (no mixing formula for this kind)", flops.Method);

        using var classifier = new DenseOnlyModel(new TaskSpec(10, 0, TaskOutput.Classification, 3, Causal: false, MaxLength: 16));
        Assert.Equal(128, classifier.EstimateFlops(16).Dense);
    }

    [Theory]
    [InlineData("transformer")]
    [InlineData("nsm")]
    [InlineData("mamba")]
    public void TheEstimateReadsTheWidthTheModelWasBuiltWith(string kind)
    {
        // target_params resolves d_model inside ModelRegistry.Create: the estimate is the one of the
        // model as built, the same as building that width directly.
        var spec = new TaskSpec(10, 0, TaskOutput.PerToken, 10, Causal: true, MaxLength: 64);
        var config = ConfigLoader.FromOverrides([$"model.kind={kind}", "model.num_layers=1", "model.num_heads=2", "model.target_params=20000"]).Model;
        using var sized = ModelRegistry.Create(config, spec);
        Assert.NotEqual(config.DModel, sized.DModel);
        using var direct = ModelRegistry.Create(config with { DModel = sized.DModel, TargetParams = 0 }, spec);
        Assert.Equal(direct.EstimateFlops(100), sized.EstimateFlops(100));
        Assert.Equal(ModelRegistry.FlopFormulas[kind], sized.EstimateFlops(100).Method);
    }
}
