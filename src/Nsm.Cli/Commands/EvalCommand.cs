using TorchSharp;
using System.Globalization;
using Nsm.Checkpoints;
using Nsm.Training;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm eval --checkpoint DIR [--set k=v ...]</c>: loss and accuracy on the task's held-out set.</summary>
public static class EvalCommand
{
    public const string Usage = "nsm eval --checkpoint DIR [--set key=value ...]";

    public static int Run(IEnumerable<string> args)
    {
        var a = new Arguments(args, new HashSet<string> { "checkpoint", "set" });
        var (config, task, model) = Checkpoint.LoadModel(a.Require("checkpoint"), a.All("set"));
        var device = Devices.Resolve(config.Train.Device);
        model.to(device);
        var result = Evaluator.Evaluate(model, task, config.Train.BatchSize, device);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"{config.Model.Kind}\", \"task\": \"{task.Name}\", \"loss\": {result.Loss:R}, \"accuracy\": {result.Accuracy:R}, \"perplexity\": {result.Perplexity:R}, \"count\": {result.Count}}}"));
        return 0;
    }
}
