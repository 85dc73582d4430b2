using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Models.Lstm;

/// <summary>What the stacked LSTM carries between calls: the hidden and cell states of all its layers, (L, B, d) each (saved as h and c).</summary>
public sealed record LstmStackState(Tensor H, Tensor C) : ILayerState
{
    public IEnumerable<(string Name, Tensor Tensor)> Named()
    {
        yield return ("h", H);
        yield return ("c", C);
    }

    /// <summary>The state from its named tensors.</summary>
    public static LstmStackState From(LayerTensors tensors) => new(tensors.Get("h"), tensors.Get("c"));
}
