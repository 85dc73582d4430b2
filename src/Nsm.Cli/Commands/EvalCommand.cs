using System.CommandLine;
using System.Text.Json.Nodes;
using TorchSharp;
using Nsm.Checkpoints;
using Nsm.Tasks;
using Nsm.Training;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm eval --checkpoint DIR [--set k=v ...]</c>: loss and accuracy on the task's held-out set, as one JSON object.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = CheckpointOption();
        var overrides = CliOption.Overrides("override a key of the checkpoint's config, e.g. task.eval_examples=512 (repeatable)");
        var piece = CliOption.Int("--piece", "N", "stream each example through the model N tokens at a time with the carried state (streaming kinds; memory stays flat in the length); 0 = the whole sequence in one call", defaultValue: 0, min: 0);
        var batch = CliOption.Int("--batch", "B", "examples per evaluation batch; 0 = the checkpoint's train.batch_size", defaultValue: 0, min: 0);
        var command = new Command("eval", "Loss, accuracy and perplexity on the task's held-out set, printed as one JSON object.") { checkpoint, overrides, piece, batch };
        command.SetAction(parse => Run(parse, parse.GetValue(checkpoint)!, parse.GetValue(overrides) ?? [], parse.GetValue(piece), parse.GetValue(batch)));
        return command;
    }

    /// <summary><c>--checkpoint DIR</c>, required: a run folder written by <c>nsm train</c>.</summary>
    public static Option<string?> CheckpointOption() =>
        CliOption.Text("--checkpoint", "DIR", "run folder written by nsm train (config.json, model.safetensors)", required: true);

    private static int Run(ParseResult parse, string dir, IReadOnlyList<string> overrides, int piece, int batchSize)
    {
        var (config, task, model) = Checkpoint.LoadModel(dir, overrides);
        if (config.Train.Threads > 0) torch.set_num_threads(config.Train.Threads);
        var device = Devices.Resolve(config.Train.Device);
        model.to(device);
        var batch = batchSize > 0 ? batchSize : config.Train.BatchSize;
        var result = piece > 0
            ? StreamingEvaluator.Evaluate(model, task, batch, piece, device)
            : Evaluator.Evaluate(model, task, batch, device);
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
            ["seq_len"] = config.Task.SeqLen,
            ["exact_match"] = task is IExactMatchTask,
            ["piece"] = piece,
            // Mean loss of the scored targets by position, buckets doubling in width (per-token tasks).
            ["loss_by_position"] = new JsonArray([.. result.ByPosition.Select(b => (JsonNode)new JsonObject
            {
                ["from"] = b.From,
                ["to"] = b.To,
                ["loss"] = Number(b.Loss),
                ["tokens"] = b.Tokens,
            })]),
        };
        parse.Output().WriteLine(json.ToJsonString());
        return 0;
    }
}
