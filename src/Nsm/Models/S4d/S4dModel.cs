using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;

namespace Nsm.Models.S4d;

/// <summary>
/// S4D baseline (Gu et al. 2022): embedding, pre-norm residual S4D blocks (diagonal SSM by FFT
/// convolution, GELU, Linear+GLU), final LayerNorm, output head. Causal by construction (right
/// padding never reaches real positions; the head's masked mean drops it); streams with one
/// (B, H, N/2) complex state per layer, constant in the sequence length.
/// </summary>
public sealed class S4dModel : StackedModel<S4dBlock>
{
    /// <summary>State size N when model.state_size is 0 (the paper's default).</summary>
    public const int DefaultStateSize = 64;

    public S4dModel(ModelConfig config, TaskSpec spec) : base(nameof(S4dModel), Checked(config), spec,
        () => Enumerable.Range(0, config.NumLayers).Select(_ => new S4dBlock(
            config.DModel, config.StateSize > 0 ? config.StateSize : DefaultStateSize, config.S4dInit, config.DtMin, config.DtMax, config.Dropout)),
        () => nn.LayerNorm(config.DModel))
    {
    }

    private static ModelConfig Checked(ModelConfig config)
    {
        BaselineChecks.DtRange(config);
        return config;
    }

    protected override Tensor RunBlock(S4dBlock block, Tensor x, Tensor? paddingMask) => block.forward(x);

    protected override void AddInitialState(S4dBlock block, int i, long batchSize, Device device, IDictionary<string, Tensor> tensors) =>
        tensors[$"layers.{i}.ssm"] = block.Layer.EmptyState(batchSize, device);

    protected override Tensor StepBlock(S4dBlock block, int i, Tensor x, ModelState state, IDictionary<string, Tensor> next)
    {
        var (y, ssm) = block.Step(x, state[$"layers.{i}.ssm"]);
        next[$"layers.{i}.ssm"] = ssm;
        return y;
    }

    protected override void CheckStreamable() => BaselineChecks.Streamable(Spec, "s4d");
}
