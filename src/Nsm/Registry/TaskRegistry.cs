using Nsm.Config;
using Nsm.Core;
using Nsm.Tasks;

namespace Nsm.Registry;

/// <summary>Every task selectable by <c>task.name</c>, and how to build it.</summary>
public static class TaskRegistry
{
    /// <summary>How to build a task, and the rules its keys must keep (checked before any data is read).</summary>
    private sealed record Entry(Func<TaskConfig, long, ITask> Build, Action<TaskConfig>? Validate = null);

    private static readonly Dictionary<string, Entry> Entries = new()
    {
        ["copy"] = new((c, seed) => new CopyTask(c, seed)),
        ["selective_copy"] = new((c, seed) => new SelectiveCopyTask(c, seed), SelectiveCopyTask.Validate),
        ["repeat_copy"] = new((c, seed) => new RepeatCopyTask(c, seed)),
        ["associative_recall"] = new((c, seed) => new AssociativeRecallTask(c, seed), AssociativeRecallTask.Validate),
        ["mqar"] = new((c, seed) => new MqarTask(c, seed), MqarTask.Validate),
        ["passkey"] = new((c, seed) => new PasskeyTask(c, seed), PasskeyTask.Validate),
        ["babi-haystack"] = new((c, seed) => new BabiHaystackTask(c, seed), BabiHaystackTask.Validate),
        ["listops"] = new((c, seed) => new ListOpsTask(c, seed), ListOpsTask.Validate),
        ["pathfinder"] = new((c, seed) => new PathfinderTask(c, seed), PathfinderTask.Validate),
        ["mnist"] = new((c, seed) => new ImageClassificationTask("mnist", c, seed), ImageClassificationTask.Validate),
        ["fashion_mnist"] = new((c, seed) => new ImageClassificationTask("fashion_mnist", c, seed), ImageClassificationTask.Validate),
        ["cifar10"] = new((c, seed) => new ImageClassificationTask("cifar10", c, seed), ImageClassificationTask.Validate),
        ["char_lm"] = new((c, seed) => TextTasks.CharLm(c, seed), TextTasks.ValidateCharLm),
        ["wikitext"] = new((c, seed) => TextTasks.WikiText(c, seed)),
        ["babi"] = new((c, seed) => new BabiTask(c, seed), BabiTask.Validate),
        ["documents"] = new((c, seed) => new DocumentClassificationTask(c, seed)),
        ["retrieval"] = new((c, seed) => new RetrievalTask(c, seed), RetrievalTask.Validate),
    };

    public static IEnumerable<string> Names => Entries.Keys.Order(StringComparer.Ordinal);

    /// <summary>Checks the task name and the task's cross-field rules; one-line <see cref="ConfigException"/> otherwise.</summary>
    public static void Validate(TaskConfig config) => Find(config).Validate?.Invoke(config);

    /// <summary>Builds the task named by config.Name with a data seed.</summary>
    public static ITask Create(TaskConfig config, long seed) => Find(config).Build(config, seed);

    private static Entry Find(TaskConfig config) =>
        Entries.TryGetValue(config.Name, out var entry) ? entry
            : throw new ConfigException($"'task.name' = \"{config.Name}\" is not known{Spelling.DidYouMean(config.Name, Names)}allowed: {string.Join(", ", Names)}");
}
