using System.CommandLine;
using System.Text.Json.Nodes;
using TorchSharp;
using Nsm.Checkpoints;
using Nsm.Training;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm eval --checkpoint DIR [--set k=v ...]</c>: loss and accuracy on the task's held-out set, as one JSON object.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = CheckpointOption();
        var overrides = CliOption.Overrides("override a key of the checkpoint's config, e.g. task.eval_examples=512 (repeatable)");
        var command = new Command("eval", "Loss, accuracy and perplexity on the task's held-out set, printed as one JSON object.") { checkpoint, overrides };
        command.SetAction(parse => Run(parse, parse.GetValue(checkpoint)!, parse.GetValue(overrides) ?? []));
        return command;
    }

    /// <summary><c>--checkpoint DIR</c>, required: a run folder written by <c>nsm train</c>.</summary>
    public static Option<string?> CheckpointOption() =>
        CliOption.Text("--checkpoint", "DIR", "run folder written by nsm train (config.json, model.safetensors)", required: true);

    private static int Run(ParseResult parse, string dir, IReadOnlyList<string> overrides)
    {
        var (config, task, model) = Checkpoint.LoadModel(dir, overrides);
        var device = Devices.Resolve(config.Train.Device);
        model.to(device);
        var result = Evaluator.Evaluate(model, task, config.Train.BatchSize, device);
        // One JSON object; a non-finite number (a model whose loss blew up) is written as null.
        static JsonNode? Number(double x) => double.IsFinite(x) ? JsonValue.Create(x) : null;
        var json = new JsonObject
        {
            ["model"] = config.Model.Kind,
            ["task"] = task.Name,
            ["loss"] = Number(result.Loss),
            ["accuracy"] = Number(result.Accuracy),
            ["perplexity"] = Number(result.Perplexity),
            ["count"] = result.Count,
        };
        parse.Output().WriteLine(json.ToJsonString());
        return 0;
    }
}
