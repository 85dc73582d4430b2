using TorchSharp;
using static TorchSharp.torch;

namespace Nsm.Models.Nsm;

/// <summary>
/// Token-to-state write: turns a chunk's rows (token outputs, plus the lower layer's slots with
/// cross-layer states) into a candidate content per slot and the write mass each slot received.
/// Rows marked invalid (padding) write nothing. Implementations: <see cref="TokenRouter"/>
/// ("token") and <see cref="SlotRouter"/> ("slot").
/// </summary>
public abstract class StateWriter : nn.Module
{
    protected StateWriter(string name) : base(name)
    {
    }

    /// <summary>Epsilon in the normalisation of the candidate by the write mass.</summary>
    protected const double Eps = 1e-6;

    /// <summary>
    /// Whether the write depends on the slots before it. A writer that does not (token routing)
    /// can write many chunks in one call, each chunk a batch row; one that does (slot routing,
    /// whose queries come from the slots) is called chunk by chunk.
    /// </summary>
    public abstract bool ReadsSlots { get; }

    /// <summary>
    /// inputs: (B, n, d) normed rows to write; valid: (B, n) bool or null (all valid);
    /// slots: (B, s, d) the slots before the write; context: importance bias, write scale and mask.
    /// Returns the candidate U (B, s, d) and the write mass m (B, s, d) (per channel: with several
    /// routing heads each head's mass covers its channel group).
    /// </summary>
    public abstract (Tensor Candidate, Tensor Mass) Write(Tensor inputs, Tensor? valid, Tensor slots, SlotContext context);

    /// <summary>
    /// Rebuilds any per-slot parameter with the slots source (s_new): old slot source[j], or a new
    /// slot for -1 (see <see cref="StateManager.Resize"/>). Returns how the parameters' rows moved.
    /// </summary>
    public abstract IReadOnlyList<SlotRemap> Resize(long[] source);

    /// <summary>Per-head masses (B, heads, s) to per-channel masses (B, s, d).</summary>
    protected static Tensor PerChannel(Tensor mass, long dim)
    {
        var heads = mass.shape[1];
        return mass.transpose(1, 2).repeat_interleave(dim / heads, dim: 2);   // (B, s, d)
    }

    /// <summary>Per-head candidates (B, heads, s, d/heads) to (B, s, d).</summary>
    protected static Tensor MergeHeads(Tensor candidate)
    {
        var (b, heads, s, dh) = (candidate.shape[0], candidate.shape[1], candidate.shape[2], candidate.shape[3]);
        return candidate.transpose(1, 2).reshape(b, s, heads * dh);
    }
}
