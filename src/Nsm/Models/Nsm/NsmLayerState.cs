using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Models.Nsm;

/// <summary>
/// What one causal NSM layer carries between calls. Its size does not depend on how many
/// tokens went before.
/// </summary>
/// <param name="Slots">(B, s, d) fp32: the slots after the last complete chunk, S_{k-1}.</param>
/// <param name="Cells">(B, s, d) fp32: LSTM cell state, or null for other propagators.</param>
/// <param name="Keys">(B, h, T, hd): rotated local keys of positions max(0, c0 - w) .. Position-1,
/// where c0 is the start of the current (partial) chunk; null without local attention.</param>
/// <param name="Values">(B, h, T, hd): the matching local values; null without local attention.</param>
/// <param name="Partial">(B, p, d): the layer outputs of the p = Position mod c tokens of the
/// current chunk, written to the slots when the chunk completes.</param>
/// <param name="History">(B, k-1, d): the layer outputs of the k-1 tokens before the current chunk
/// (zeros before position 0), which the write convolution of kernel k needs; null without it.</param>
/// <param name="Position">Tokens consumed so far.</param>
/// <param name="Memory">The external memory and its heads' weightings (memory-augmented NSM), or null.</param>
public sealed record NsmLayerState(Tensor Slots, Tensor? Cells, Tensor? Keys, Tensor? Values, Tensor Partial, Tensor? History, long Position, NtmMemoryState? Memory = null) : ILayerState
{
    /// <summary>Every tensor of the state, by short name (slots, cells, keys, values, partial, history, then the memory's); absent ones left out.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> Named()
    {
        yield return ("slots", Slots);
        if (Cells is not null) yield return ("cells", Cells);
        if (Keys is not null) yield return ("keys", Keys);
        if (Values is not null) yield return ("values", Values);
        yield return ("partial", Partial);
        if (History is not null) yield return ("history", History);
        if (Memory is not null)
            foreach (var named in Memory.Named()) yield return named;
    }
}
