using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Models;

/// <summary>
/// A causal model that can consume a sequence piece by piece with a carried state.
/// Processing a sequence in one call, in pieces, or token by token gives the same outputs.
/// </summary>
public interface IStreamingModel
{
    /// <summary>The state before any token, for a batch of this size.</summary>
    ModelState InitialState(long batchSize);

    /// <summary>
    /// Consumes input (B, n) token ids (or (B, n, F) features), n >= 1, after the tokens the
    /// state has seen. Returns the outputs for these n positions, (B, n, C), and the new state.
    /// The given state is left unchanged.
    /// </summary>
    (Tensor Output, ModelState State) Forward(Tensor input, ModelState state);
}
