using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Models.Transformer;

/// <summary>What one Transformer block carries between calls: the key/value cache of every token so far, (B, h, T, hd) each, and the tokens consumed.</summary>
public sealed record TransformerLayerState(Tensor Keys, Tensor Values, long Position) : ILayerState
{
    public IEnumerable<(string Name, Tensor Tensor)> Named()
    {
        yield return ("keys", Keys);
        yield return ("values", Values);
    }

    /// <summary>The state from a layer's named tensors.</summary>
    public static TransformerLayerState From(LayerTensors tensors) => new(tensors.Get("keys"), tensors.Get("values"), tensors.Position);
}
