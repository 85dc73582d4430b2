using Nsm.Config;
using Nsm.Models;

namespace Nsm.Benchmarks;

/// <summary>
/// Gives every model kind the same parameter budget: keeps depth and the other settings and
/// searches d_model (in steps that keep heads dividing the width) for the parameter count
/// closest to the target. Works for any kind in the registry, because it only builds models
/// and counts their parameters.
/// </summary>
public static class SizeMatcher
{
    /// <summary>The matched config and its parameter count.</summary>
    public sealed record Match(ModelConfig Config, long Params);

    /// <summary>Parameter count of a config on a task shape.</summary>
    public static long CountParams(ModelConfig config, TaskSpec spec)
    {
        using var model = ModelRegistry.Create(config, spec);
        return model.ParameterCount();
    }

    /// <summary>
    /// The width of <paramref name="config"/>'s kind whose parameter count is closest to
    /// <paramref name="target"/>. step: granularity of d_model (default lcm(num_heads, 8)).
    /// </summary>
    public static Match MatchParams(ModelConfig config, TaskSpec spec, long target, int step = 0)
    {
        config = config with { TargetParams = 0 };
        if (step <= 0) step = Lcm(config.NumHeads, 8);
        var cache = new Dictionary<int, long?>();
        long? Params(int k)
        {
            if (cache.TryGetValue(k, out var p)) return p;
            try
            {
                p = CountParams(config with { DModel = k * step }, spec);
            }
            catch (ConfigException)
            {
                p = null;
            }
            return cache[k] = p;
        }

        // Parameter counts grow with width: double until past the target, then bisect.
        int lo = 1, hi = 1;
        while ((Params(hi) ?? 0) < target && hi * step < 65536) { lo = hi; hi *= 2; }
        while (hi - lo > 1)
        {
            var mid = (lo + hi) / 2;
            if ((Params(mid) ?? 0) < target) lo = mid; else hi = mid;
        }
        var best = new[] { lo, hi }.Where(k => Params(k) is not null)
            .OrderBy(k => Math.Abs(Params(k)!.Value - target)).FirstOrDefault();
        if (best == 0) throw new ConfigException($"'model.d_model': no width of {config.Kind} in steps of {step} builds a model near {target} parameters");
        return new Match(config with { DModel = best * step }, Params(best)!.Value);
    }

    private static int Lcm(int a, int b)
    {
        static int Gcd(int x, int y) => y == 0 ? x : Gcd(y, x % y);
        return a / Gcd(a, b) * b;
    }
}
