using TorchSharp;
using static TorchSharp.torch;

namespace Nsm.Core;

/// <summary>
/// Everything a streaming model carries from one call to the next (recurrent states, key/value
/// caches, partial chunks, the position offset), as named tensors so it can be saved,
/// restored, measured and moved across dispose scopes without knowing the model.
/// A state is immutable by convention: a model's Forward returns a new one.
/// </summary>
public sealed class ModelState : IDisposable
{
    public ModelState(IReadOnlyDictionary<string, Tensor> tensors, long position)
    {
        Tensors = tensors;
        Position = position;
    }

    /// <summary>The model's state tensors, by name (names are model-specific).</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>Number of tokens consumed so far (the absolute position of the next token).</summary>
    public long Position { get; }

    public Tensor this[string name] => Tensors[name];

    /// <summary>Bytes held by the state's tensors.</summary>
    public long ByteSize => Tensors.Values.Sum(t => t.numel() * t.element_size());

    /// <summary>Moves the tensors out of the current dispose scope so the state survives it.</summary>
    public ModelState MoveToOuterDisposeScope()
    {
        foreach (var t in Tensors.Values) t.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Detaches every tensor from autograd history (truncated back-propagation).</summary>
    public ModelState Detach() =>
        new(Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.detach()), Position);

    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }

    /// <summary>Writes the state to a safetensors file (position in the metadata), atomically.</summary>
    public void Save(string path)
    {
        var metadata = new Dictionary<string, string> { ["position"] = Position.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        SafeTensors.Save(path, Tensors, metadata);
    }

    /// <summary>Reads a state written by <see cref="Save"/>.</summary>
    public static ModelState Load(string path, Device? device = null)
    {
        var (tensors, metadata) = SafeTensors.Load(path, device);
        if (!metadata.TryGetValue("position", out var text) || !long.TryParse(text, out var position))
            throw new InvalidDataException($"{path} is not a saved model state (no position in its metadata)");
        return new ModelState(tensors, position);
    }
}
