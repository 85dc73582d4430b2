using static TorchSharp.torch;
using Nsm.Models.Nsm;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

/// <summary>
/// <see cref="StateCommunication"/> against <see cref="CommunicationReference"/>, dense and sparse,
/// with and without the feed-forward and with inactive slots, on the slots after communication
/// and the gradients of the slots, every parameter and the importance logits (which must get none).
/// </summary>
public sealed class CommunicationReferenceTests : SingleThreadTest
{
    private const long D = 8;

    [Theory]
    [InlineData(1, 1, 1, 0, 0)]
    [InlineData(7, 5, 2, 0, 8)]
    [InlineData(7, 7, 1, 3, 0)]
    [InlineData(63, 40, 2, 5, 8)]
    [InlineData(100, 100, 2, 0, 0)]
    public void CommunicationAgreesWithReference(long s, long active, long heads, int topK, long ffnHidden)
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        var communication = new StateCommunication(D, heads, topK, ffnHidden);
        var manager = new StateManager(s, active, D, 0.0);
        using (no_grad())
        {
            // Gains of order 1 instead of the initial 0.01, so that the residual branches count.
            foreach (var p in communication.parameters()) if (p.dim() == 1) p.copy_(randn(p.shape) * 0.5 + 1);
        }
        var inputs = new[] { randn(2, s, D) };
        ParameterGradientCheck.Agree(
            x => [communication.forward(x[0], manager.Context())],
            ParameterGradientCheck.Of(communication),
            (x, p) =>
            {
                var ffn = ffnHidden > 0
                    ? new CommunicationReference.FeedForward(p["ffn_norm.weight"], p["ffn.w1.weight"], p["ffn.w3.weight"], p["ffn.w2.weight"], p["ffn_scale"])
                    : null;
                return [CommunicationReference.Forward(x[0], p["attn_norm.weight"], p["qkv_proj.weight"], p["out_proj.weight"], p["attn_scale"], ffn,
                    manager.ActiveMask, heads, topK)];
            },
            inputs, atol: 2e-5, rtol: 1e-3, what: $"communication s={s} active={active} heads={heads} top={topK} ffn={ffnHidden}");
    }
}
