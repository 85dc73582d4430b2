using static TorchSharp.torch;

namespace Nsm.Core;

/// <summary>
/// The streaming state of one layer (or of a whole recurrent stack that carries one tensor for
/// all its layers): typed tensors that a model passes from one call to the next. Names are given
/// only when a state is saved, measured or looked at (<see cref="ModelState.Tensors"/>).
/// </summary>
public interface ILayerState
{
    /// <summary>Every tensor, by its short name (the part after "layers.{i}." in a saved state); absent optional tensors left out.</summary>
    IEnumerable<(string Name, Tensor Tensor)> Named();
}
