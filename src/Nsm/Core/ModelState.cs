using TorchSharp;
using static TorchSharp.torch;

namespace Nsm.Core;

/// <summary>
/// Everything a streaming model carries from one call to the next (recurrent states, key/value
/// caches, partial chunks, the position offset). A model's Forward makes it from typed
/// per-layer states (<see cref="FromLayers"/>) and reads them back as they are
/// (<see cref="Layer{T}"/>); names (<c>layers.{i}.{name}</c>) are made only when the state is
/// saved, measured or looked at, so it can be saved, restored and moved across dispose scopes
/// without knowing the model. A state made from names (a loaded one) is read back by name.
/// A state is immutable by convention: a model's Forward returns a new one.
/// </summary>
public sealed class ModelState : IDisposable
{
    private readonly IReadOnlyList<ILayerState>? layers;   // typed per-layer states, or null for a state made from names
    private readonly ILayerState? stack;                   // a whole-stack state (names unprefixed), or null
    private IReadOnlyDictionary<string, Tensor>? tensors;  // the names, made when first asked for

    /// <summary>A state from named tensors (a loaded state, or one a test builds); models read it back by name.</summary>
    public ModelState(IReadOnlyDictionary<string, Tensor> tensors, long position)
    {
        this.tensors = tensors;
        Position = position;
    }

    private ModelState(IReadOnlyList<ILayerState>? layers, ILayerState? stack, long position)
    {
        this.layers = layers;
        this.stack = stack;
        Position = position;
    }

    /// <summary>A state from one typed state per layer, bottom first; layer i's tensors are named <c>layers.{i}.{name}</c>.</summary>
    public static ModelState FromLayers(IEnumerable<ILayerState> layers, long position) => new(layers.ToList(), null, position);

    /// <summary>A state from one typed state for the whole stack (a recurrent stack's (L, B, d) tensors); its names are not prefixed.</summary>
    public static ModelState FromStack(ILayerState stack, long position) => new(null, stack, position);

    /// <summary>The saved name of layer i's tensor with this short name: <c>layers.{i}.{name}</c>.</summary>
    public static string LayerKey(int layer, string name) => $"layers.{layer}.{name}";

    /// <summary>
    /// Layer i's typed state: the one this state was made from when it has that type, else the
    /// one read by name (a loaded state, or one made by another kind of model, which then fails naming the missing key).
    /// </summary>
    public T Layer<T>(int layer, Func<LayerTensors, T> read) where T : class, ILayerState =>
        layers is not null && layer < layers.Count && layers[layer] is T typed ? typed : read(new LayerTensors(this, $"layers.{layer}."));

    /// <summary>The whole-stack typed state: the one this state was made from when it has that type, else the one read by (unprefixed) name.</summary>
    public T Stack<T>(Func<LayerTensors, T> read) where T : class, ILayerState =>
        stack as T ?? read(new LayerTensors(this, ""));

    /// <summary>The model's state tensors, by name (names are model-specific).</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => tensors ??= Names();

    private Dictionary<string, Tensor> Names()
    {
        var named = new Dictionary<string, Tensor>();
        if (stack is not null)
            foreach (var (name, t) in stack.Named()) named.Add(name, t);
        for (var i = 0; layers is not null && i < layers.Count; i++)
            foreach (var (name, t) in layers[i].Named()) named.Add(LayerKey(i, name), t);
        return named;
    }

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
