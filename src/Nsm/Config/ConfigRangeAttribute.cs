namespace Nsm.Config;

/// <summary>Inclusive numeric range a configuration value must lie in.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigRangeAttribute(double min, double max) : Attribute
{
    public double Min { get; } = min;
    public double Max { get; } = max;
}
