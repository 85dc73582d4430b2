using static TorchSharp.torch;

namespace Nsm.Inference;

/// <summary>Picks the next token from logits: greedy (temperature 0), or temperature + top-k sampling.</summary>
public sealed class Sampler(double temperature, int topK, Generator? generator = null)
{
    /// <summary>logits: (B, C) -> (B) int64 token ids.</summary>
    public Tensor Sample(Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (temperature <= 0) return logits.argmax(-1).MoveToOuterDisposeScope();
        var scaled = logits.to(ScalarType.Float32) / temperature;
        if (topK > 0 && topK < scaled.shape[^1])
        {
            var threshold = scaled.topk(topK, -1).values[.., ^1..];     // (B, 1): k-th largest
            scaled = scaled.masked_fill(scaled.lt(threshold), double.NegativeInfinity);
        }
        var probabilities = scaled.softmax(-1);
        return multinomial(probabilities, 1, generator: generator).squeeze(-1).MoveToOuterDisposeScope();
    }
}
