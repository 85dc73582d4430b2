using static TorchSharp.torch;

namespace Nsm.Core;

/// <summary>
/// The named tensors of one layer in a <see cref="ModelState"/> that holds names only (a loaded
/// state, or one made from a dictionary): what a model reads its typed <see cref="ILayerState"/> from.
/// </summary>
public readonly struct LayerTensors
{
    private readonly ModelState state;
    private readonly string prefix;

    internal LayerTensors(ModelState state, string prefix)
    {
        this.state = state;
        this.prefix = prefix;
    }

    /// <summary>Tokens the state has consumed.</summary>
    public long Position => state.Position;

    /// <summary>The tensor with this short name, or null when the state has none.</summary>
    public Tensor? Find(string name) => state.Tensors.TryGetValue(prefix + name, out var t) ? t : null;

    /// <summary>The tensor with this short name; an ArgumentException naming the missing key when the state has none.</summary>
    public Tensor Get(string name) =>
        Find(name) ?? throw new ArgumentException($"state has no '{prefix}{name}'; was it made by this model?");
}
