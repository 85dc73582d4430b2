using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Models;

namespace Nsm.Inference;

/// <summary>
/// Autoregressive generation. Streaming models consume the prompt once and then one token per
/// step with their carried state (cost per token independent of context for NSM, growing for a
/// Transformer's key/value cache); other causal models re-run the whole context each step.
/// </summary>
public static class TextGenerator
{
    /// <summary>Continues prompt (token ids, at least one) by count tokens; returns only the new tokens.</summary>
    public static long[] Generate(SequenceModel model, IReadOnlyList<long> prompt, int count, Sampler sampler)
    {
        if (prompt.Count == 0) throw new ArgumentException("the prompt must hold at least one token");
        if (model.Spec.Output != TaskOutput.PerToken || !model.Spec.Causal)
            throw new ArgumentException("generation needs a causal per-token model");
        var device = model.parameters().First().device;
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var result = new long[count];
            using var gcPause = GcPause.Start();
            if (model is IStreamingModel streaming)
            {
                var state = streaming.InitialState(1);
                var input = tensor(prompt.ToArray(), [1, prompt.Count]).to(device);
                for (var i = 0; i < count; i++)
                {
                    gcPause.Renew();
                    using var scope = NewDisposeScope();
                    var (logits, next) = streaming.Forward(input, state);
                    var token = sampler.Sample(logits[.., -1]);  // (1)
                    result[i] = token.item<long>();
                    state.Dispose();
                    input.Dispose();
                    state = next.MoveToOuterDisposeScope();
                    input = token.view(1, 1).MoveToOuterDisposeScope();
                }
                state.Dispose();
                input.Dispose();
            }
            else
            {
                var context = prompt.ToList();
                for (var i = 0; i < count; i++)
                {
                    gcPause.Renew();
                    using var scope = NewDisposeScope();
                    var input = tensor(context.ToArray(), [1, context.Count]).to(device);
                    var logits = model.forward(input, null);
                    result[i] = sampler.Sample(logits[.., -1]).item<long>();
                    context.Add(result[i]);
                }
            }
            return result;
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
