namespace Nsm.Core;

/// <summary>
/// Analytic forward FLOPs per token (one multiply-add = 2 FLOPs), split into the dense part
/// (weight matrices applied to tokens) and the sequence-mixing part (attention scores, scans,
/// convolutions) that depends on the length. Training counts 3x forward (backward ~ 2x forward).
/// Elementwise work (norms, activations, gates) is not counted for any kind. Each model states
/// its own estimate (<c>SequenceModel.EstimateFlops</c>); the formulas are documented in docs/benchmarks.md.
/// </summary>
/// <param name="Dense">Dense FLOPs per token, including the output head.</param>
/// <param name="Mixing">Sequence-mixing FLOPs per token at this length.</param>
/// <param name="Method">Which formula produced it: the kind's formula text, or <see cref="DenseOnlyMethod"/>.</param>
public sealed record FlopEstimate(double Dense, double Mixing, string Method)
{
    /// <summary>The method of a kind that states no mixing formula and counts its dense weights only.</summary>
    public const string DenseOnlyMethod = "dense weights only (no mixing formula for this kind)";

    public double Forward => Dense + Mixing;

    /// <summary>Forward + backward: 3x forward.</summary>
    public double Training => 3 * Forward;
}
