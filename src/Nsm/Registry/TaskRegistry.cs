using Nsm.Config;
using Nsm.Core;
using Nsm.Tasks;




namespace Nsm.Registry;

/// <summary>Every task selectable by <c>task.name</c>, and how to build it.</summary>
public static class TaskRegistry
{
    private static readonly Dictionary<string, Func<TaskConfig, long, ITask>> Builders = new()
    {
        ["copy"] = (c, seed) => new CopyTask(c, seed),
        ["selective_copy"] = (c, seed) => new SelectiveCopyTask(c, seed),
        ["repeat_copy"] = (c, seed) => new RepeatCopyTask(c, seed),
        ["associative_recall"] = (c, seed) => new AssociativeRecallTask(c, seed),
        ["mqar"] = (c, seed) => new MqarTask(c, seed),
        ["listops"] = (c, seed) => new ListOpsTask(c, seed),
        ["mnist"] = (c, seed) => new ImageClassificationTask("mnist", c, seed),
        ["fashion_mnist"] = (c, seed) => new ImageClassificationTask("fashion_mnist", c, seed),
        ["cifar10"] = (c, seed) => new ImageClassificationTask("cifar10", c, seed),
        ["char_lm"] = (c, seed) => TextTasks.CharLm(c, seed),
        ["wikitext"] = (c, seed) => TextTasks.WikiText(c, seed),
        ["babi"] = (c, seed) => new BabiTask(c, seed),
        ["documents"] = (c, seed) => new DocumentClassificationTask(c, seed),
    };

    public static IEnumerable<string> Names => Builders.Keys.Order(StringComparer.Ordinal);

    /// <summary>Builds the task named by config.Name with a data seed.</summary>
    public static ITask Create(TaskConfig config, long seed)
    {
        if (!Builders.TryGetValue(config.Name, out var build))
            throw new ConfigException($"'task.name' = \"{config.Name}\" is not known; allowed: {string.Join(", ", Names)}");
        return build(config, seed);
    }
}
