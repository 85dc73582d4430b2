using System.Diagnostics;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;
using Nsm.Checkpoints;
using Nsm.Models.Nsm;

namespace Nsm.Benchmarks;

/// <summary>What <c>nsm slots</c> measured of one trained NSM run.</summary>
/// <param name="Run">The run folder.</param>
/// <param name="Slots">Slots each NSM layer holds (by stack index), as loaded from the checkpoint.</param>
/// <param name="SlotStateBytes">Bytes of the slots (and LSTM cells) of one sample's streaming state.</param>
/// <param name="StreamingStateBytes">Largest size of one sample's whole streaming state (slots, caches, open chunk).</param>
/// <param name="Accuracy">eval.accuracy of the run's summary.json; null when it has none.</param>
/// <param name="StepMilliseconds">Median over rounds of the mean time of one one-token streaming step (batch 1, no gradients).</param>
/// <param name="StepFlops">Forward FLOPs per token the model's estimate gives at the task's length.</param>
public sealed record SlotRunResult(string Run, IReadOnlyList<(int Layer, long Slots)> Slots, long SlotStateBytes, long StreamingStateBytes, double? Accuracy, double StepMilliseconds, double StepFlops);

/// <summary>
/// Compares trained NSM runs by what their slots cost: the slot counts and state bytes of the
/// saved models, the time of one streaming inference step, and the slots each layer held at every
/// logged step of training (a chart from metrics.jsonl). Step times are measured in rounds that
/// visit every run once, so the runs share whatever else the machine is doing; compare them as
/// ratios within one call.
/// </summary>
public static class SlotComparison
{
    /// <summary>Loads every run and times steps one-token steps in each of rounds rounds (after a warm-up of 16 steps).</summary>
    public static List<SlotRunResult> Measure(IReadOnlyList<string> runs, int steps, int rounds, TextWriter? log = null)
    {
        log ??= TextWriter.Null;
        var loaded = new List<(string Run, NsmModel Model, Tensor Tokens)>();
        try
        {
            foreach (var run in runs)
            {
                var (_, task, model) = Checkpoint.LoadModel(run);
                if (model is not NsmModel nsm || !nsm.IsCausal)
                {
                    model.Dispose();
                    throw new InvalidDataException($"{run} is not a causal NSM run; nsm slots compares NSM checkpoints of per-token tasks");
                }
                nsm.eval();
                manual_seed(1);
                loaded.Add((run, nsm, randint(0, task.Spec.VocabSize, [1, steps + 16])));
            }
            var times = loaded.Select(_ => new List<double>()).ToList();
            using var noGrad = no_grad();
            for (var round = 0; round < rounds; round++)
                for (var i = 0; i < loaded.Count; i++)
                {
                    times[i].Add(StepMilliseconds(loaded[i].Model, loaded[i].Tokens, steps));
                    log.WriteLine($"round {round + 1}/{rounds}  {loaded[i].Run}: {times[i][^1]:F3} ms/step");
                }
            return loaded.Select((l, i) => new SlotRunResult(
                l.Run, l.Model.SlotCounts, l.Model.SlotStateBytes(1), l.Model.MaxStreamingStateBytes(1), SummaryAccuracy(l.Run),
                Statistics.Median(times[i]), l.Model.EstimateFlops(l.Model.Spec.MaxLength).Forward)).ToList();
        }
        finally
        {
            foreach (var l in loaded)
            {
                l.Model.Dispose();
                l.Tokens.Dispose();
            }
        }
    }

    /// <summary>Mean milliseconds of one one-token Forward over tokens 16.. of tokens (1, steps + 16), after 16 untimed ones.</summary>
    private static double StepMilliseconds(NsmModel model, Tensor tokens, int steps)
    {
        var state = model.InitialState(1);
        var clock = new Stopwatch();
        for (var t = 0; t < steps + 16; t++)
        {
            if (t == 16) clock.Start();
            using var scope = NewDisposeScope();
            var (_, next) = model.Forward(tokens.narrow(1, t, 1), state);
            state.Dispose();
            state = next.MoveToOuterDisposeScope();
        }
        clock.Stop();
        state.Dispose();
        return clock.Elapsed.TotalMilliseconds / steps;
    }

    private static double? SummaryAccuracy(string run)
    {
        var path = Path.Combine(run, "summary.json");
        if (!File.Exists(path)) return null;
        var accuracy = JsonNode.Parse(File.ReadAllText(path))?["eval"]?["accuracy"];
        return accuracy is null ? null : accuracy.GetValue<double>();
    }

    /// <summary>
    /// The slots of every layer at every logged training step of each run (metrics.jsonl's
    /// layers.&lt;i&gt;.active_slots), one line per run and layer, as a PNG at path.
    /// </summary>
    public static void WriteChart(string path, IReadOnlyList<string> runs)
    {
        var series = new List<ChartSeries>();
        foreach (var run in runs)
        {
            var lines = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
                .Where(l => (string?)l["split"] == "train").ToList();
            var layers = lines.SelectMany(l => l.Select(kv => kv.Key)).Distinct()
                .Where(k => k.StartsWith("layers.", StringComparison.Ordinal) && k.EndsWith(".active_slots", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
            foreach (var key in layers)
            {
                var points = lines.Where(l => l[key] is not null).Select(l => ((double)l["step"]!, (double)l[key]!)).ToList();
                var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(run)) + " " + key[..^".active_slots".Length];
                series.Add(new ChartSeries(name, points.Select(p => p.Item1).ToList(), points.Select(p => p.Item2).ToList()));
            }
        }
        Charts.Line(path, "Slots per layer during training", "step", "active slots", series);
    }
}
