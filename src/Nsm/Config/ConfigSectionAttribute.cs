namespace Nsm.Config;

/// <summary>
/// Marks a property of a config record as an option section: a record whose keys appear flat
/// in the parent's JSON object (<c>model.num_states</c>, not <c>model.nsm.num_states</c>) and
/// that applies to the named model kinds only. Two sections may share a key (S4D and Mamba both
/// read <c>state_size</c>): one JSON key then sets both.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigSectionAttribute(params string[] kinds) : Attribute
{
    /// <summary>The <c>model.kind</c> values the section's keys apply to.</summary>
    public IReadOnlyList<string> Kinds { get; } = kinds;
}
