using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Models.Gru;

/// <summary>What the stacked GRU carries between calls: the hidden state of all its layers, (L, B, d) (saved as h).</summary>
public sealed record GruStackState(Tensor H) : ILayerState
{
    public IEnumerable<(string Name, Tensor Tensor)> Named()
    {
        yield return ("h", H);
    }

    /// <summary>The state from its named tensors.</summary>
    public static GruStackState From(LayerTensors tensors) => new(tensors.Get("h"));
}
