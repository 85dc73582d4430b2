using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
using Nsm.Registry;
using Nsm.Training;

namespace Nsm.Benchmarks;

/// <summary>
/// Runs one <see cref="CellSpec"/> in this process: builds the model, warms up, times the
/// repetitions and reads the memory peak. The caller decides the isolation (fresh process
/// or peak reset); this class always resets the peak mark once the model and inputs exist,
/// so the record's baseline excludes start-up and model building.
/// </summary>
public static class CellRunner
{
    public static BenchmarkRecord Run(CellSpec spec, string memoryIsolation)
    {
        if (spec.Threads > 0) torch.set_num_threads(spec.Threads);
        torch.manual_seed(spec.Seed);
        var record = new BenchmarkRecord
        {
            Model = spec.Model.Kind,
            Mode = spec.Mode,
            Suite = spec.Suite,
            SeqLen = spec.Mode == ScaleModes.Generate ? null : spec.SeqLen,
            Context = spec.Mode == ScaleModes.Generate ? spec.Context : null,
            BatchSize = spec.Mode == ScaleModes.Generate ? 1 : spec.BatchSize,
            Warmup = spec.Warmup,
            MemoryIsolation = memoryIsolation,
        };
        try
        {
            using var model = ModelRegistry.Create(spec.Model, spec.TaskSpec());
            record = record with { Params = model.ParameterCount() };
            if (spec.Mode == ScaleModes.Generate && !spec.Causal)
                return record with { Status = MeasurementStatus.Unsupported, Note = $"{spec.Model.Kind} is bidirectional: no causal generation" };
            var measured = spec.Mode switch
            {
                ScaleModes.Train => TimeSteps(spec, record, model, train: true),
                ScaleModes.Infer => TimeSteps(spec, record, model, train: false),
                ScaleModes.Generate => model is IStreamingModel streaming
                    ? Generate(spec, record, model, streaming)
                    : record with { Status = MeasurementStatus.Unsupported, Note = $"{spec.Model.Kind} has no streaming state (IStreamingModel)" },
                _ => throw new ArgumentException($"unknown mode '{spec.Mode}'; allowed: {string.Join(", ", ScaleModes.All)}"),
            };
            return spec.Causal || measured.Note is not null ? measured : measured with { Note = "bidirectional (no causal form): measured as an encoder" };
        }
        catch (Exception e) when (IsOutOfMemory(e))
        {
            return record with { Status = MeasurementStatus.OutOfMemory, Note = FirstLine(e.Message), PeakBytes = ProcessMemory.Read().PeakBytes };
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException or ConfigException)
        {
            return record with { Status = MeasurementStatus.Error, Note = $"{e.GetType().Name}: {FirstLine(e.Message)}" };
        }
    }

    /// <summary>Whether an exception is libtorch's or .NET's allocation failure.</summary>
    public static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException
        || e.Message.Contains("not enough memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase);

    private static BenchmarkRecord TimeSteps(CellSpec spec, BenchmarkRecord record, SequenceModel model, bool train)
    {
        var vocab = spec.VocabSize;
        using var inputs = randint(0, vocab, [spec.BatchSize, spec.SeqLen], dtype: ScalarType.Int64);
        using var targets = randint(0, vocab, [spec.BatchSize, spec.SeqLen], dtype: ScalarType.Int64);
        var optimizer = train ? Trainer.CreateOptimizer(model, new TrainConfig()) : null;
        var parameters = model.parameters().ToList();
        model.train(train);

        void Step()
        {
            using var scope = NewDisposeScope();
            if (train)
            {
                optimizer!.zero_grad();
                var logits = model.forward(inputs, null);                         // (B, N, V)
                var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1));
                var total = model.AuxiliaryLoss() is { } aux ? loss + aux : loss;
                total.backward();
                nn.utils.clip_grad_norm_(parameters, 1.0);
                optimizer.step();
            }
            else
            {
                using var noGrad = no_grad();
                model.forward(inputs, null);
            }
        }

        var (baseline, times, timedOut) = Measure(spec, Step);
        var tokens = (double)spec.BatchSize * spec.SeqLen;
        optimizer?.Dispose();
        return Complete(record, spec, baseline, times, timedOut, tokens);
    }

    private static BenchmarkRecord Generate(CellSpec spec, BenchmarkRecord record, SequenceModel model, IStreamingModel streaming)
    {
        model.eval();
        using var noGrad = no_grad();
        var vocab = spec.VocabSize;
        var state = streaming.InitialState(1);
        var clock = Stopwatch.StartNew();
        // Consume the context in pieces; the state then holds whatever the model keeps of it.
        for (var done = 0; done < spec.Context;)
        {
            var n = Math.Min(spec.PrefillChunk, spec.Context - done);
            using var scope = NewDisposeScope();
            var piece = randint(0, vocab, [1, n], dtype: ScalarType.Int64);
            var (_, next) = streaming.Forward(piece, state);
            state = Replace(state, next.MoveToOuterDisposeScope());
            done += n;
            if (clock.Elapsed.TotalSeconds > spec.PrefillBudgetSeconds && done < spec.Context)
            {
                state.Dispose();
                return record with { Status = MeasurementStatus.Timeout, Note = $"consuming the context took over {spec.PrefillBudgetSeconds:F0} s ({done} of {spec.Context} tokens)" };
            }
        }
        var prefillSeconds = clock.Elapsed.TotalSeconds;
        var stateBytes = state.ByteSize;
        var token = randint(0, vocab, [1, 1], dtype: ScalarType.Int64);

        void Step()
        {
            using var scope = NewDisposeScope();
            var (logits, next) = streaming.Forward(token, state);
            var chosen = logits[.., -1].argmax(-1, keepdim: true);           // (1, 1) greedy next token
            state = Replace(state, next.MoveToOuterDisposeScope());
            token.Dispose();
            token = chosen.MoveToOuterDisposeScope();
        }

        var generateSpec = spec with { Repetitions = spec.GenerateTokens };
        var (baseline, times, timedOut) = Measure(generateSpec, Step);
        state.Dispose();
        token.Dispose();
        var result = Complete(record, generateSpec, baseline, times, timedOut, 1);
        var latency = times.Count > 0 ? Statistics.Summarize(times) : null;
        return result with
        {
            StateBytes = stateBytes,
            LatencyMs = latency?.Median * 1e3,
            LatencyMsMin = latency?.Min * 1e3,
            LatencyMsMax = latency?.Max * 1e3,
            Note = result.Note ?? $"context consumed in {prefillSeconds:F2} s",
        };
    }

    /// <summary>Disposes the tensors of the old state that the new state does not reuse.</summary>
    private static ModelState Replace(ModelState old, ModelState next)
    {
        var kept = next.Tensors.Values.Select(t => t.Handle).ToHashSet();
        foreach (var t in old.Tensors.Values)
            if (!kept.Contains(t.Handle)) t.Dispose();
        return next;
    }

    /// <summary>Resets the peak, runs the warm-up and then timed repetitions until done or out of budget.</summary>
    private static (long Baseline, List<double> Times, bool TimedOut) Measure(CellSpec spec, Action step)
    {
        ProcessMemory.ResetPeak();
        var baseline = ProcessMemory.Read().ResidentBytes;
        var clock = Stopwatch.StartNew();
        var times = new List<double>();
        for (var i = 0; i < spec.Warmup; i++)
        {
            step();
            if (clock.Elapsed.TotalSeconds > spec.BudgetSeconds) return (baseline, times, true);
        }
        for (var i = 0; i < spec.Repetitions; i++)
        {
            var watch = Stopwatch.StartNew();
            step();
            times.Add(watch.Elapsed.TotalSeconds);
            if (clock.Elapsed.TotalSeconds > spec.BudgetSeconds && i + 1 < spec.Repetitions) return (baseline, times, times.Count == 0);
        }
        return (baseline, times, false);
    }

    private static BenchmarkRecord Complete(BenchmarkRecord record, CellSpec spec, long baseline, List<double> times, bool timedOut, double tokensPerUnit)
    {
        var memory = ProcessMemory.Read();
        record = record with
        {
            PeakBytes = memory.PeakBytes,
            BaselineBytes = baseline,
            PeakDeltaBytes = Math.Max(0, memory.PeakBytes - baseline),
            Repetitions = times.Count,
        };
        if (times.Count == 0)
            return record with { Status = MeasurementStatus.Timeout, Note = $"the warm-up alone took over the {spec.BudgetSeconds:F0} s budget" };
        var summary = Statistics.Summarize(times);
        return record with
        {
            Status = timedOut ? MeasurementStatus.Timeout : MeasurementStatus.Ok,
            SecondsMedian = summary.Median,
            RelativeSpread = summary.RelativeSpread,
            TokensPerSec = tokensPerUnit / summary.Median,
            TokensPerSecMin = tokensPerUnit / summary.Max,
            TokensPerSecMax = tokensPerUnit / summary.Min,
            Note = times.Count < spec.Repetitions ? $"{times.Count} of {spec.Repetitions} repetitions within the {spec.BudgetSeconds:F0} s budget" : null,
        };
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
