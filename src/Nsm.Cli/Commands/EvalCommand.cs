using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using TorchSharp;
using Nsm.Benchmarks;
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
        var piece = CliOption.Int("--piece", "N", "stream each example through the model N tokens at a time with the carried state (streaming kinds; memory stays flat in the length); 0 = the whole sequence in one call; the same as --set eval.piece=N (default: the checkpoint's eval.piece, 0)", min: 0);
        var batch = CliOption.Int("--batch", "B", "examples per evaluation batch; 0 = the checkpoint's train.batch_size; the same as --set eval.batch=B", min: 0);
        var lengths = CliOption.Sizes("--lengths", "N,...", "evaluate a grid: one cell per task.seq_len (e.g. 1k,4k,16k); the JSON holds the cells under \"grid\" and their mean accuracy");
        var depths = CliOption.List("--depths", "D,...", "with --lengths, one grid row per needle depth in [0, 1] (passkey, babi-haystack: task.depth_min = task.depth_max = D)");
        var heatmap = CliOption.Text("--heatmap", "FILE", "with --lengths, also draw the grid's accuracy as a PNG heatmap (depth by length)");
        var command = new Command("eval", "Loss, accuracy and perplexity on the task's held-out set, printed as one JSON object.") { checkpoint, overrides, piece, batch, lengths, depths, heatmap };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(checkpoint)!;
            // --piece and --batch are eval.piece and eval.batch, after the --set overrides so that they win.
            var sets = (parse.GetValue(overrides) ?? []).ToList();
            if (parse.GetValue(piece) is { } p) sets.Add($"eval.piece={p}");
            if (parse.GetValue(batch) is { } b) sets.Add($"eval.batch={b}");
            if (parse.GetValue(lengths) is { } grid)
                return RunGrid(parse, dir, sets, grid, ParseDepths(parse.GetValue(depths) ?? []), parse.GetValue(heatmap));
            if (parse.GetValue(depths) is not null || parse.GetValue(heatmap) is not null)
                throw new UsageException("--depths and --heatmap need --lengths (the grid's columns)");
            return Run(parse, dir, sets);
        });
        return command;
    }

    private static IReadOnlyList<double> ParseDepths(IReadOnlyList<string> items) => items.Select(item =>
        double.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 && d <= 1
            ? d
            : throw new UsageException($"option '--depths' takes numbers in [0, 1] (e.g. 0,0.5,1), got '{item}'")).ToList();

    private static int RunGrid(ParseResult parse, string dir, IReadOnlyList<string> overrides, IReadOnlyList<int> lengths, IReadOnlyList<double> depths, string? heatmap)
    {
        var config = Checkpoint.LoadConfig(dir, overrides);
        if (config.Train.Threads > 0) torch.set_num_threads(config.Train.Threads);
        var cells = EvalGrid.Evaluate(dir, overrides, lengths, depths);
        var json = new JsonObject
        {
            ["model"] = config.Model.Kind,
            ["task"] = config.Task.Name,
            ["accuracy"] = Number(EvalGrid.MeanAccuracy(cells)),
            ["piece"] = config.Eval.Piece,
            ["grid"] = new JsonArray([.. cells.Select(c => (JsonNode)new JsonObject
            {
                ["seq_len"] = c.SeqLen,
                ["depth"] = c.Depth,
                ["accuracy"] = Number(c.Result.Accuracy),
                ["loss"] = Number(c.Result.Loss),
                ["count"] = c.Result.Count,
            })]),
        };
        if (heatmap is not null)
        {
            var rows = depths.Count == 0 ? 1 : depths.Count;
            var values = new double[rows, lengths.Count];
            for (var i = 0; i < cells.Count; i++) values[i / lengths.Count, i % lengths.Count] = cells[i].Result.Accuracy;
            var rowLabels = depths.Count == 0 ? ["all"] : depths.Select(d => d.ToString("0.##", CultureInfo.InvariantCulture)).ToList();
            var png = InspectionCharts.Heatmap($"{config.Model.Kind} on {config.Task.Name}: accuracy by depth and length", values, rowLabels,
                lengths.Select(n => n.ToString(CultureInfo.InvariantCulture)).ToList(), "sequence length (tokens)", "needle depth", max: 1);
            InspectionCharts.Write(heatmap, png);
            json["heatmap"] = heatmap;
        }
        parse.Output().WriteLine(json.ToJsonString());
        return 0;
    }

    // A non-finite number (a model whose loss blew up) is written as null.
    private static JsonNode? Number(double x) => double.IsFinite(x) ? JsonValue.Create(x) : null;

    /// <summary><c>--checkpoint DIR</c>, required: a run folder written by <c>nsm train</c>.</summary>
    public static Option<string?> CheckpointOption() =>
        CliOption.Text("--checkpoint", "DIR", "run folder written by nsm train (config.json, model.safetensors)", required: true);

    private static int Run(ParseResult parse, string dir, IReadOnlyList<string> overrides)
    {
        var threads = Checkpoint.LoadConfig(dir, overrides).Train.Threads;
        if (threads > 0) torch.set_num_threads(threads);
        var (config, task, result) = CheckpointEvaluation.Evaluate(dir, overrides);
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
            ["piece"] = config.Eval.Piece,
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
