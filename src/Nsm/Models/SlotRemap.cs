using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Models;

/// <summary>
/// How the slot rows of one parameter moved when a model changed its number of slots (pruned
/// slots removed, new slots appended): whoever holds tensors shaped like the parameter (the
/// optimizer's moments) applies the same move with <see cref="Rows"/>.
/// </summary>
/// <param name="Parameter">The parameter, already in its new shape.</param>
/// <param name="Groups">Dimension 0 of the parameter is Groups blocks of s slot rows (routing heads x slots for a router's weight); 1 otherwise.</param>
/// <param name="Source">For each new slot row (s_new, the same for every group): the old row it keeps, or -1 for a new slot.</param>
public sealed record SlotRemap(Parameter Parameter, long Groups, long[] Source)
{
    /// <summary>
    /// t in the parameter's old layout, (Groups·s_old, ...), moved to the new one,
    /// (Groups·s_new, ...): kept rows copied, new rows zero.
    /// </summary>
    public Tensor Apply(Tensor t) => Rows(t, Groups, Source);

    /// <summary>
    /// Rows of t (Groups·s_old, ...) selected per group by source (s_new; -1 gives a zero row):
    /// (Groups·s_new, ...), contiguous, in t's dtype and device.
    /// </summary>
    public static Tensor Rows(Tensor t, long groups, long[] source)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var rest = t.shape[1..];
        var grouped = t.reshape([groups, t.shape[0] / groups, .. rest]);                  // (groups, s_old, ...)
        var index = tensor(source.Select(i => Math.Max(i, 0L)).ToArray(), device: t.device);
        var picked = grouped.index_select(1, index);                                        // (groups, s_new, ...)
        if (source.Any(i => i < 0))
        {
            var fresh = tensor(source.Select(i => i < 0).ToArray(), device: t.device)
                .view([1, source.Length, .. rest.Select(_ => 1L)]);                          // (1, s_new, 1, ...)
            picked = picked.masked_fill(fresh, 0);
        }
        return picked.reshape([groups * source.Length, .. rest]).contiguous().MoveToOuterDisposeScope();
    }
}
