using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Models.Nsm;

/// <summary>What an <see cref="AttentionLayer"/> carries between calls: rotated keys and values (B, h, T, hd) and the tokens consumed.</summary>
public sealed record AttentionLayerState(Tensor Keys, Tensor Values, long Position) : ILayerState
{
    public IEnumerable<(string Name, Tensor Tensor)> Named()
    {
        yield return ("keys", Keys);
        yield return ("values", Values);
    }
}
