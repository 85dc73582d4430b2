using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;

namespace Nsm.Models.S4d;

/// <summary>
/// S4D layer (Gu, Gupta, Goel, Ré 2022, "On the Parameterization and Initialization of Diagonal
/// State Space Models"), as in the authors' standalone s4d.py: H independent single-input SSMs with
/// diagonal complex A (N/2 conjugate-pair modes), zero-order-hold discretisation with a learned
/// step per channel, B folded into C, a skip D, then GELU, dropout and a position-wise Linear+GLU.
///   dA = exp(dt A),  dB = (dA - 1) / A,  x_t = dA x_{t-1} + dB u_t,  y_t = 2 Re(C x_t) + D u_t.
/// Training convolves the input with the kernel K_l = 2 Re(C dB dA^l) by FFT in O(L log L);
/// streaming runs the recurrence. (B, L, H) -> (B, L, H).
/// </summary>
public sealed class S4dLayer : nn.Module<Tensor, Tensor>
{
    private readonly Parameter log_dt;
    // A's parts are 1-D (H * N/2 flattened) so the trainer's no-decay group takes them: the paper
    // trains the SSM parameters without weight decay.
    private readonly Parameter log_a_real;
    private readonly Parameter a_imag;
    private readonly Parameter c;
    private readonly Parameter d;
    private readonly Linear output_linear;
    private readonly Dropout dropout;
    private readonly long channels;
    private readonly long modes;

    /// <param name="dim">H, the model width (one SSM per channel).</param>
    /// <param name="stateSize">N; the layer keeps N/2 complex modes per channel.</param>
    /// <param name="init">Lin (S4D-Lin: A_n = -1/2 + i pi n) or Inv (S4D-Inv: A_n = -1/2 + i N/pi (N/(2n+1) - 1)).</param>
    /// <param name="dtMin">Smallest initial step (log-uniform).</param>
    /// <param name="dtMax">Largest initial step.</param>
    /// <param name="dropoutRate">Dropout after the activation.</param>
    public S4dLayer(long dim, long stateSize, S4dInit init, double dtMin, double dtMax, double dropoutRate) : base(nameof(S4dLayer))
    {
        if (stateSize < 2 || stateSize % 2 != 0)
            throw new ConfigException($"'model.state_size' = {stateSize} must be even and at least 2 for s4d (the state is N/2 complex conjugate pairs)");
        channels = dim;
        modes = stateSize / 2;
        log_dt = nn.Parameter(rand(dim) * (Math.Log(dtMax) - Math.Log(dtMin)) + Math.Log(dtMin));
        // C ~ complex standard normal (each part has variance 1/2), stored as (H, N/2, 2) real.
        c = nn.Parameter(randn(dim, modes, 2) * Math.Sqrt(0.5));
        log_a_real = nn.Parameter(full(dim * modes, Math.Log(0.5)));
        var n = arange(modes, dtype: ScalarType.Float32);
        var imag = init switch
        {
            S4dInit.Lin => n * Math.PI,
            S4dInit.Inv => (stateSize / (2 * n + 1) - 1) * (stateSize / Math.PI),
            _ => throw new ArgumentOutOfRangeException(nameof(init), init, "model.s4d_init"),
        };
        a_imag = nn.Parameter(imag.repeat(dim));
        d = nn.Parameter(randn(dim));
        output_linear = nn.Linear(dim, 2 * dim);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    /// <summary>Complex modes per channel (N/2).</summary>
    public long Modes => modes;

    /// <summary>Full layer by FFT convolution: u (B, L, H) -> (B, L, H).</summary>
    public override Tensor forward(Tensor u)
    {
        using var scope = NewDisposeScope();
        return Output(u, Convolve(u)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Streaming: u (B, n, H) after the tokens summarised by state (B, H, N/2, 2) (real view of the
    /// complex SSM state). One token runs the recurrence; several run the convolution plus the
    /// carried state's contribution (exact). Returns the output (B, n, H) and the new state.
    /// </summary>
    public (Tensor Output, Tensor State) Forward(Tensor u, Tensor state)
    {
        using var scope = NewDisposeScope();
        var x = view_as_complex(state.contiguous());                                   // (B, H, N/2)
        Tensor core, next;
        if (u.shape[1] == 1)
        {
            (core, next) = Recurrence(u, x);
        }
        else
        {
            var (dtA, dB, cc) = Discretize();
            var length = u.shape[1];
            var powers = Powers(dtA, length + 1);                                       // (H, N/2, n+1): dA^0 .. dA^n
            // y_j gets 2 Re(sum C dA^{j+1} x_in) from the carried state.
            var fromState = 2 * (cc.unsqueeze(-1) * powers.narrow(2, 1, length) * x.unsqueeze(-1)).sum(2).real; // (B, H, n)
            core = Convolve(u) + fromState.transpose(1, 2);
            // x_out = dA^n x_in + sum_m dA^{n-1-m} dB u_m.
            var inputWeights = (dB.unsqueeze(-1) * powers.narrow(2, 0, length).flip(-1)); // (H, N/2, n)
            var fromInputs = (inputWeights.unsqueeze(0) * u.transpose(1, 2).unsqueeze(2)).sum(-1); // (B, H, N/2)
            next = powers.select(2, length) * x + fromInputs;
        }
        return (Output(u, core).MoveToOuterDisposeScope(), view_as_real(next).MoveToOuterDisposeScope());
    }

    /// <summary>The SSM state before any token: (B, H, N/2, 2) zeros.</summary>
    public Tensor EmptyState(long batch, Device device) => zeros([batch, channels, modes, 2], device: device);

    /// <summary>
    /// The convolution kernel K (H, L): K_l = 2 Re(sum_n C_n dB_n dA_n^l). Writing l = j c + i with
    /// c ~ sqrt(L) splits the Vandermonde matrix dA^l into dA^i (H, N/2, c) and dA^(j c) (H, N/2, J),
    /// so the sum over the modes is one batched complex matmul (H, J, N/2) x (H, N/2, c) and the
    /// (H, N/2, L) matrix of powers, which held most of the layer's time and memory at long L, is
    /// never formed. Every power is still one exp of (l dt A), as in the direct form.
    /// </summary>
    public Tensor Kernel(long length)
    {
        using var scope = NewDisposeScope();
        var (dtA, dB, cc) = Discretize();
        var within = (long)Math.Ceiling(Math.Sqrt(length));
        var blocks = (length + within - 1) / within;
        var small = Powers(dtA, within);                                                 // (H, N/2, c): dA^i
        var large = exp(dtA.unsqueeze(-1) * (arange(blocks, dtype: ScalarType.Float32, device: dtA.device) * within)); // (H, N/2, J): dA^(j c)
        var weighted = (cc * dB).unsqueeze(-1) * large;                                  // (H, N/2, J)
        var kernel = 2 * matmul(weighted.transpose(1, 2), small).real;                   // (H, J, c): K at l = j c + i
        return kernel.reshape(channels, blocks * within).narrow(1, 0, length).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// SSM core by causal FFT convolution (no skip, no activation): u (B, L, H) -> (B, L, H).
    /// Zero-padding to 2L turns the FFT's circular convolution into a linear one.
    /// </summary>
    public Tensor Convolve(Tensor u)
    {
        using var scope = NewDisposeScope();
        var length = u.shape[1];
        var signal = u.transpose(1, 2);                                                 // (B, H, L)
        var kernelF = fft.rfft(Kernel(length), 2 * length);                              // (H, L+1)
        var signalF = fft.rfft(signal, 2 * length);                                      // (B, H, L+1)
        var y = fft.irfft(signalF * kernelF, 2 * length).narrow(-1, 0, length);          // (B, H, L)
        return y.transpose(1, 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// SSM core by the recurrence, one token at a time (the reference for <see cref="Convolve"/>):
    /// u (B, L, H), x (B, H, N/2) complex. Returns the core output (B, L, H) and the final state.
    /// </summary>
    public (Tensor Core, Tensor State) Recurrence(Tensor u, Tensor x)
    {
        using var scope = NewDisposeScope();
        var (dtA, dB, cc) = Discretize();
        var dA = exp(dtA);                                                              // (H, N/2)
        var outputs = new List<Tensor>();
        foreach (var ut in u.unbind(1))
        {
            x = dA * x + dB * ut.unsqueeze(-1);                                          // (B, H, N/2)
            outputs.Add(2 * (cc * x).sum(-1).real);                                      // (B, H)
        }
        return (stack(outputs, 1).MoveToOuterDisposeScope(), x.MoveToOuterDisposeScope());
    }

    /// <summary>Skip, activation, dropout and the Linear+GLU output: (B, L, H) each -> (B, L, H).</summary>
    private Tensor Output(Tensor u, Tensor core)
    {
        var y = core + u * d;
        y = dropout.forward(nn.functional.gelu(y));
        return nn.functional.glu(output_linear.forward(y), -1);
    }

    /// <summary>dt A (H, N/2), ZOH input matrix dB = (exp(dt A) - 1) / A (B = 1), and C, all complex.</summary>
    private (Tensor DtA, Tensor DB, Tensor C) Discretize()
    {
        var dt = exp(log_dt).unsqueeze(-1);                                             // (H, 1)
        var a = complex(-exp(log_a_real), a_imag).view(channels, modes);                // (H, N/2)
        var dtA = a * dt;
        var dB = (exp(dtA) - 1) / a;
        return (dtA, dB, view_as_complex(c));
    }

    /// <summary>dA^l = exp(l dt A) for l = 0 .. count-1: (H, N/2, count) complex.</summary>
    private static Tensor Powers(Tensor dtA, long count) =>
        exp(dtA.unsqueeze(-1) * arange(count, dtype: ScalarType.Float32, device: dtA.device));
}
