using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
using Nsm.Registry;

namespace Nsm.Bench;

/// <summary>
/// One layer of a model kind (a one-layer model with a 32-token vocabulary, so embedding and
/// head are negligible) on a batch of one sequence: forward without gradients, and forward +
/// backward. Kinds: transformer and nsm where registered; set NSM_BENCH_KINDS=a,b for others.
/// </summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class LayerBenchmarks
{
    private SequenceModel model = null!;
    private Tensor tokens = null!;
    private Tensor targets = null!;

    public static IEnumerable<string> Kinds()
    {
        var requested = Environment.GetEnvironmentVariable("NSM_BENCH_KINDS");
        var wanted = string.IsNullOrEmpty(requested) ? ["transformer", "nsm"] : requested.Split(',', StringSplitOptions.TrimEntries);
        return wanted.Where(ModelRegistry.Kinds.Contains);
    }

    [ParamsSource(nameof(Kinds))]
    public string Kind { get; set; } = "transformer";

    [Params(64, 128)]
    public int Width { get; set; }

    [Params(256, 1024, 4096)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        torch.manual_seed(1);
        var config = ConfigLoader.FromOverrides([$"model.kind={Kind}", $"model.d_model={Width}", "model.num_layers=1", "model.num_heads=4"]).Model;
        model = ModelRegistry.Create(config, new TaskSpec(32, 0, TaskOutput.PerToken, 32, Causal: true, MaxLength: Length));
        tokens = randint(0, 32, [1, Length], dtype: ScalarType.Int64);
        targets = randint(0, 32, [1, Length], dtype: ScalarType.Int64);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        model.Dispose();
        tokens.Dispose();
        targets.Dispose();
    }

    [Benchmark]
    public float Forward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.forward(tokens, null).sum().item<float>();
    }

    [Benchmark]
    public float ForwardBackward()
    {
        using var scope = NewDisposeScope();
        model.zero_grad();
        var logits = model.forward(tokens, null);                          // (1, N, 32)
        var loss = nn.functional.cross_entropy(logits.reshape(-1, 32), targets.reshape(-1));
        loss.backward();
        return loss.item<float>();
    }
}
