using System.CommandLine;
using System.Text.Json.Nodes;
using TorchSharp;
using Nsm.Benchmarks;

namespace Nsm.Cli.Commands;

/// <summary>
/// <c>nsm slots --checkpoint DIR [--checkpoint DIR ...]</c>: what the slots of trained NSM runs
/// cost (slot counts, state bytes, one streaming step's time, FLOPs) and a chart of the slots per
/// layer over training (src/Nsm.Benchmarks, <see cref="SlotComparison"/>).
/// </summary>
public static class SlotsCommand
{
    public static Command Create()
    {
        var checkpoints = new Option<string[]>("--checkpoint")
        {
            Description = "run folder written by nsm train (repeatable: the runs are compared in one measurement)",
            HelpName = "DIR",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var steps = CliOption.Int("--steps", "N", "one-token streaming steps timed per round", 256, min: 1);
        var rounds = CliOption.Int("--rounds", "N", "rounds; each times every run once, the median is reported", 5, min: 1);
        var threads = CliOption.Int("--threads", "N", "libtorch threads", 1, min: 1);
        var chart = CliOption.Text("--chart", "FILE", "PNG of the slots per layer at every logged training step [default: slots.png]");
        var command = new Command("slots", "Slot counts, slot-state bytes, streaming step time and FLOPs of trained NSM runs, one JSON object per run; a chart of their slots over training.")
        {
            checkpoints, steps, rounds, threads, chart,
        };
        command.SetAction(parse =>
        {
            var runs = parse.GetValue(checkpoints)!;
            torch.set_num_threads(parse.GetValue(threads));
            var results = SlotComparison.Measure(runs, parse.GetValue(steps), parse.GetValue(rounds), parse.ErrorOutput());
            foreach (var r in results)
            {
                var slots = new JsonObject();
                foreach (var (layer, count) in r.Slots) slots[$"layers.{layer}"] = count;
                parse.Output().WriteLine(new JsonObject
                {
                    ["run"] = r.Run,
                    ["slots"] = slots,
                    ["slot_state_bytes"] = r.SlotStateBytes,
                    ["streaming_state_bytes"] = r.StreamingStateBytes,
                    ["accuracy"] = r.Accuracy,
                    ["step_ms"] = r.StepMilliseconds,
                    ["step_flops"] = r.StepFlops,
                }.ToJsonString());
            }
            var path = parse.GetValue(chart) ?? "slots.png";
            SlotComparison.WriteChart(path, runs);
            parse.Output().WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }
}
