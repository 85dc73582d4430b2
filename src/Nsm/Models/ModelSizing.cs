using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;

namespace Nsm.Models;

/// <summary>
/// Sizes a model to a parameter budget (model.target_params): keeps num_layers and every other
/// setting, and picks the d_model whose built model has the parameter count closest to the target.
/// Works for any kind because it counts the parameters of built candidates instead of using a
/// formula per architecture. d_model moves in steps of lcm(8, 2 * num_heads), so it stays a
/// multiple of 8 and of the heads with an even head width (rotary positions).
/// </summary>
public static class ModelSizing
{
    /// <summary>The d_model step for a config: lcm(8, 2 * num_heads).</summary>
    public static long Step(ModelConfig config)
    {
        long a = 8, b = 2L * config.NumHeads;
        return a / Gcd(a, b) * b;
    }

    /// <summary>
    /// The config with d_model chosen for config.TargetParams and target_params reset to 0, or the
    /// config unchanged when target_params is 0. Building the candidates draws from torch's global
    /// random generator; its state is restored, so the model built next is initialised exactly as if
    /// d_model had been given directly.
    /// </summary>
    public static ModelConfig Resolve(ModelConfig config, TaskSpec spec, Func<ModelConfig, TaskSpec, SequenceModel> build)
    {
        if (config.TargetParams <= 0) return config;
        var step = Step(config);
        var maxMultiple = Math.Max(1, 65536 / step);
        var counts = new Dictionary<long, long>();
        var rng = get_rng_state();
        try
        {
            long Count(long multiple)
            {
                if (counts.TryGetValue(multiple, out var known)) return known;
                using var model = build(config with { DModel = (int)(multiple * step), TargetParams = 0 }, spec);
                return counts[multiple] = model.ParameterCount();
            }

            // The count grows with d_model: bracket the target by doubling, then bisect for the
            // smallest multiple whose count reaches it, and take it or the one below, whichever is closer.
            long low = 1, high = 1;
            while (high < maxMultiple && Count(high) < config.TargetParams)
            {
                low = high;
                high = Math.Min(maxMultiple, high * 2);
            }
            while (low < high)
            {
                var mid = (low + high) / 2;
                if (Count(mid) < config.TargetParams) low = mid + 1;
                else high = mid;
            }
            var best = low;
            if (best > 1 && Math.Abs(Count(best - 1) - config.TargetParams) <= Math.Abs(Count(best) - config.TargetParams))
                best--;
            return config with { DModel = (int)(best * step), TargetParams = 0 };
        }
        finally
        {
            set_rng_state(rng);
            rng.Dispose();
        }
    }

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
}
