namespace Nsm.Config;

/// <summary>The <c>task.name</c> values a task key applies to; a key without it applies to every task.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ForTasksAttribute(params string[] tasks) : Attribute
{
    public IReadOnlyList<string> Tasks { get; } = tasks;
}
