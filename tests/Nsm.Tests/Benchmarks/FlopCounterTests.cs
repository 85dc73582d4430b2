using Nsm.Benchmarks;
using Nsm.Config;
using Nsm.Core;
using Nsm.Registry;

namespace Nsm.Tests.Benchmarks;

public sealed class FlopCounterTests
{
    [Fact]
    public void TinyTransformerMatchesAHandCount()
    {
        // d = 16, 2 layers, 4 heads, ffn_mult 2 -> SwiGLU hidden 32, vocab 10 (tied head), N = 8.
        var config = ConfigLoader.FromOverrides(["model.kind=transformer", "model.d_model=16", "model.num_layers=2", "model.num_heads=4", "model.ffn_mult=2"]).Model;
        var spec = new TaskSpec(10, 0, TaskOutput.PerToken, 10, Causal: true, MaxLength: 8);
        using var model = ModelRegistry.Create(config, spec);

        // Per layer and token: q,k,v projections 2*16*48 = 1536, output projection 2*16*16 = 512,
        // SwiGLU w1, w3 (16->32) and w2 (32->16): 3 * 2*16*32 = 3072. Two layers: 2 * 5120 = 10240.
        // Tied output head: 2*16*10 = 320. Embedding lookup and RMSNorm gains: 0.
        const double dense = 10240 + 320;
        // Causal attention at N = 8: a token sees (8+1)/2 = 4.5 keys on average; per key q.k and
        // the value sum cost 2*16 each -> 4*16*4.5 = 288 per layer, 576 for two layers.
        const double mixing = 576;

        var flops = FlopCounter.Estimate(model, config, 8);
        Assert.Equal(dense, flops.Dense);
        Assert.Equal(mixing, flops.Mixing);
        Assert.Equal(dense + mixing, flops.Forward);
        Assert.Equal(3 * (dense + mixing), flops.Training);
    }

    [Fact]
    public void AttentionFlopsGrowLinearlyPerTokenWithLength()
    {
        var config = ConfigLoader.FromOverrides(["model.kind=transformer", "model.d_model=16", "model.num_layers=1", "model.num_heads=2"]).Model;
        var spec = new TaskSpec(10, 0, TaskOutput.PerToken, 10, Causal: true, MaxLength: 64);
        using var model = ModelRegistry.Create(config, spec);
        var short_ = FlopCounter.Estimate(model, config, 1023);
        var long_ = FlopCounter.Estimate(model, config, 2047);
        Assert.Equal(short_.Dense, long_.Dense);
        Assert.Equal(2 * short_.Mixing, long_.Mixing);
    }

    [Fact]
    public void NsmCostPerTokenDoesNotGrowWithLengthAndSlotWeightsRunOncePerChunk()
    {
        FlopEstimate At(int chunk, long n)
        {
            var config = ConfigLoader.FromOverrides(["model.kind=nsm", "model.d_model=16", "model.num_layers=1", "model.num_heads=2", "model.num_states=4", $"model.chunk_size={chunk}", $"model.window={chunk}"]).Model;
            using var model = ModelRegistry.Create(config, new TaskSpec(10, 0, TaskOutput.PerToken, 10, Causal: true, MaxLength: 64));
            return FlopCounter.Estimate(model, config, n);
        }
        Assert.Equal(At(8, 1024).Forward, At(8, 65536).Forward);
        // Doubling the chunk halves how often the slot-side weights (read, propagator, communication) run per token.
        Assert.True(At(16, 1024).Dense < At(8, 1024).Dense);
        Assert.StartsWith("dense (slot-side", At(8, 1024).Method);
    }
}
