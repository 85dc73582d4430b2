namespace Nsm.Config;

/// <summary>The <c>model.kind</c> values a shared model key applies to; a key without it (or a section) applies to every kind.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ForKindsAttribute(params string[] kinds) : Attribute
{
    public IReadOnlyList<string> Kinds { get; } = kinds;
}
