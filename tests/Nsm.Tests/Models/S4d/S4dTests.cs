using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models.S4d;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.S4d;

public sealed class S4dTests : SingleThreadTest
{
    [Theory]
    [InlineData(S4dInit.Lin, 1)]
    [InlineData(S4dInit.Lin, 7)]
    [InlineData(S4dInit.Lin, 63)]
    [InlineData(S4dInit.Lin, 100)]
    [InlineData(S4dInit.Inv, 63)]
    [InlineData(S4dInit.Inv, 100)]
    public void ConvolutionAgreesWithRecurrenceOnOutputsAndGradients(S4dInit init, int length)
    {
        manual_seed(41);
        using var layer = new S4dLayer(6, 8, init, 0.001, 0.1, 0);
        // The SSM core's parameters (the skip D and the output Linear sit outside the convolution).
        var core = new[] { "log_dt", "log_a_real", "a_imag", "c" };
        var parameters = layer.named_parameters().Where(p => core.Contains(p.name)).ToList();
        Assert.Equal(4, parameters.Count);
        manual_seed(42);
        using var u = randn(2, length, 6);
        using var x0 = zeros(2, 6, 4, ScalarType.ComplexFloat32);

        (Tensor Output, Tensor[] Gradients) Run(Func<Tensor, Tensor> core)
        {
            foreach (var (_, p) in parameters) p.grad?.zero_();
            var input = u.clone().requires_grad_(true);
            var y = core(input);
            manual_seed(43);
            (y * randn(y.shape)).sum().backward();
            return (y.detach(), parameters.Select(p => p.parameter.grad!.clone()).Append(input.grad!.clone()).ToArray());
        }

        using var scope = NewDisposeScope();
        var (convolved, convGrads) = Run(layer.Convolve);
        var (recurrent, recGrads) = Run(v => layer.Recurrence(v, x0).Core);
        TensorAssert.Close(recurrent, convolved, atol: 1e-5, rtol: 1e-4, what: $"S4D-{init} L={length} outputs");
        for (var i = 0; i < convGrads.Length; i++)
        {
            var name = i < parameters.Count ? parameters[i].name : "input";
            TensorAssert.Close(recGrads[i], convGrads[i], atol: 1e-4, rtol: 1e-3, what: $"S4D-{init} gradient of {name}");
        }
    }

    [Theory]
    [InlineData(S4dInit.Lin, 300)]
    [InlineData(S4dInit.Inv, 1000)]
    public void KernelIsTheRecurrencesImpulseResponse(S4dInit init, int length)
    {
        // The kernel's split powers dA^i dA^(j c), with the last block cut at L (300 = 18 x 17 - 6),
        // against the recurrence fed a unit impulse: its output at step l is K_l.
        manual_seed(44);
        using var layer = new S4dLayer(5, 16, init, 0.001, 0.1, 0);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var impulse = zeros(1, length, 5);
        impulse[0, 0] = ones(5);
        var response = layer.Recurrence(impulse, zeros(1, 5, 8, ScalarType.ComplexFloat32)).Core; // (1, L, H)
        TensorAssert.Close(response.squeeze(0).t(), layer.Kernel(length), atol: 1e-5, rtol: 1e-4, what: $"S4D-{init} kernel L={length}");
    }

    [Fact]
    public void InitialisationsFollowThePaper()
    {
        using var lin = new S4dLayer(3, 8, S4dInit.Lin, 0.001, 0.1, 0);
        using var inv = new S4dLayer(3, 8, S4dInit.Inv, 0.001, 0.1, 0);
        float[] Imag(S4dLayer layer) => layer.named_parameters().Single(p => p.name == "a_imag").parameter.data<float>().ToArray();
        float[] RealLog(S4dLayer layer) => layer.named_parameters().Single(p => p.name == "log_a_real").parameter.data<float>().ToArray();
        // S4D-Lin: A_n = -1/2 + i pi n; S4D-Inv: A_n = -1/2 + i N/pi (N/(2n+1) - 1), N = 8, n = 0..3, per channel.
        var expectedLin = new[] { 0, Math.PI, 2 * Math.PI, 3 * Math.PI };
        var expectedInv = Enumerable.Range(0, 4).Select(n => 8 / Math.PI * (8.0 / (2 * n + 1) - 1)).ToArray();
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(expectedLin[i % 4], Imag(lin)[i], 4);
            Assert.Equal(expectedInv[i % 4], Imag(inv)[i], 4);
            Assert.Equal(Math.Log(0.5), RealLog(lin)[i], 5);
        }
        var dt = lin.named_parameters().Single(p => p.name == "log_dt").parameter.exp();
        Assert.True(dt.ge(0.001 - 1e-7).all().item<bool>() && dt.le(0.1 + 1e-7).all().item<bool>(), "initial steps outside [dt_min, dt_max]");
    }

    [Fact]
    public void OddStateSizeIsAConfigError()
    {
        var error = Assert.Throws<ConfigException>(() => BaselineFixtures.Build(BaselineFixtures.Tiny("s4d", "model.state_size=7"), BaselineFixtures.LanguageModel()));
        Assert.Contains("model.state_size", error.Message);
    }
}
