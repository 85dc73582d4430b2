using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
using Nsm.Registry;

namespace Nsm.Benchmarks;

/// <summary>
/// Gives every model kind the same parameter budget through the library's own sizing rule
/// (model.target_params, <see cref="ModelSizing"/>): depth and the other settings stay, d_model
/// is chosen for the closest parameter count. Returns the resolved config, so reports show the
/// width each kind got.
/// </summary>
public static class SizeMatcher
{
    /// <summary>The matched config (target_params resolved into d_model) and its parameter count.</summary>
    public sealed record Match(ModelConfig Config, long Params);

    /// <summary>Parameter count of a config on a task shape.</summary>
    public static long CountParams(ModelConfig config, TaskSpec spec)
    {
        using var model = ModelRegistry.Create(config, spec);
        return model.ParameterCount();
    }

    /// <summary>config's kind sized to about target parameters on this task shape.</summary>
    public static Match MatchParams(ModelConfig config, TaskSpec spec, long target)
    {
        var resolved = ModelSizing.Resolve(config with { TargetParams = target }, spec, ModelRegistry.Create);
        return new Match(resolved, CountParams(resolved, spec));
    }
}
