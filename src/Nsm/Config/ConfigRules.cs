using Nsm.Core;

namespace Nsm.Config;

/// <summary>Cross-field rules that several model families share.</summary>
internal static class ConfigRules
{
    /// <summary>
    /// num_heads divides d_model and, with rotary positions, the head width is even. Skipped when
    /// model.target_params picks d_model (the sizing only picks widths that fit the heads).
    /// </summary>
    public static void HeadsDivideWidth(ModelConfig model, bool rotary)
    {
        if (model.TargetParams > 0) return;
        if (model.DModel % model.NumHeads != 0)
            throw new ConfigException($"'model.d_model' ({model.DModel}) must be divisible by 'model.num_heads' ({model.NumHeads})");
        if (rotary && model.DModel / model.NumHeads % 2 != 0)
            throw new ConfigException($"'model.d_model' / 'model.num_heads' = {model.DModel / model.NumHeads} must be even for rotary positions");
    }

    /// <summary>dt_min &lt; dt_max (S4D and Mamba).</summary>
    public static void DtRange(double dtMin, double dtMax)
    {
        if (dtMin >= dtMax)
            throw new ConfigException($"'model.dt_min' = {dtMin} must be below 'model.dt_max' = {dtMax}");
    }
}
