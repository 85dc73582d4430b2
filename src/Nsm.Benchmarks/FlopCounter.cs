using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
using Nsm.Registry;

namespace Nsm.Benchmarks;

/// <summary>
/// The benchmarks' view of the FLOP estimates. Each model states its own
/// (<see cref="SequenceModel.EstimateFlops"/>: the shared dense rule, its weight multipliers and
/// its mixing formula); this only checks the model against the config a cell names and lists the
/// formula text of every kind for the reports.
/// </summary>
public static class FlopCounter
{
    /// <summary>Per-token forward FLOPs of a built model at sequence length seqLen: the model's own estimate.</summary>
    /// <param name="model">The model, as built.</param>
    /// <param name="config">The config it was built from; its kind must be the model's kind.</param>
    /// <param name="seqLen">Sequence length N.</param>
    public static FlopEstimate Estimate(SequenceModel model, ModelConfig config, long seqLen)
    {
        var estimate = model.EstimateFlops(seqLen);
        var expected = ModelRegistry.FlopFormulas.GetValueOrDefault(config.Kind, FlopEstimate.DenseOnlyMethod);
        if (estimate.Method != expected)
            throw new ArgumentException($"model.kind \"{config.Kind}\" counts by \"{expected}\", but the model given ({model.GetType().Name}) by \"{estimate.Method}\"", nameof(config));
        return estimate;
    }

    /// <summary>The documented formula of each kind, for the report.</summary>
    public static IReadOnlyDictionary<string, string> Formulas => ModelRegistry.FlopFormulas;
}
