using System.Diagnostics;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
using Nsm.Registry;
using Nsm.Training;
using static TorchSharp.torch;

namespace Nsm.Samples;

public static class Program
{
    public static void Main() => Sample.Run(Console.Out);
}

/// <summary>What <see cref="Sample.Run"/> measured, for the tests.</summary>
/// <param name="Losses">Training loss at each step.</param>
/// <param name="StreamedVsFullMaxDiff">Largest |streamed token by token - one full forward| over the logits.</param>
/// <param name="LoadedVsLiveMaxDiff">Largest |continued from the loaded state - continued from the live state|.</param>
/// <param name="SavedPosition">Tokens the saved state had seen.</param>
public sealed record SampleResult(IReadOnlyList<double> Losses, double StreamedVsFullMaxDiff, double LoadedVsLiveMaxDiff, long SavedPosition);

/// <summary>Builds an NSM from options, trains a few steps, streams it token by token, saves and loads its state.</summary>
public static class Sample
{
    public static SampleResult Run(TextWriter output, int steps = 30)
    {
        manual_seed(1);
        set_num_threads(1);                      // tiny tensors: a second thread only costs time
        var clock = Stopwatch.StartNew();
        var losses = new List<double>();

        // Build a model from options and train it with AdamW, one dispose scope per step.
        var config = new RunConfig
        {
            Model = new ModelConfig { Kind = "nsm", DModel = 32, Nsm = new NsmOptions { NumStates = 8, ChunkSize = 4, Window = 4 } },
            Task = new TaskConfig { Name = "copy", VocabSize = 8, SeqLen = 8 },
            Train = new TrainConfig { BatchSize = 16, Lr = 3e-3 },
        };
        var task = TaskRegistry.Create(config.Task, config.Train.Seed);
        using var model = ModelRegistry.Create(config.Model, task.Spec);
        using var optimizer = optim.AdamW(model.parameters(), lr: config.Train.Lr);
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var batch = task.TrainBatch(step, config.Train.BatchSize, CPU);
            var logits = model.forward(batch.Inputs, batch.PaddingMask);
            var (loss, _, _) = LossFunctions.CrossEntropy(logits, batch, task.Spec.Output);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        output.WriteLine($"{config.Model.Kind} ({model.ParameterCount():N0} parameters) on {task.Name}: "
            + $"{steps} steps in {clock.Elapsed.TotalSeconds:F1} s, loss {losses[0]:F3} -> {losses[^1]:F3}");

        model.eval();
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        var tokens = task.TrainBatch(steps, 1, CPU).Inputs;       // one unseen sequence, (1, N)
        var length = (int)tokens.shape[1];
        var full = model.forward(tokens, null);                    // all N positions at once, (1, N, C)

        // Stream the same tokens one at a time: each call takes the state and returns the next one.
        var streaming = (IStreamingModel)model;
        var state = streaming.InitialState(batchSize: 1);
        var streamed = new List<Tensor>();
        for (var i = 0; i < length; i++)
        {
            (var logits, state) = streaming.Forward(tokens[.., i..(i + 1)], state);
            streamed.Add(logits);
        }
        var streamedDiff = (cat(streamed, 1) - full).abs().max().item<float>();
        output.WriteLine($"streamed {length} tokens one at a time: max |streamed - full forward| = {streamedDiff:E1}");

        // Save the state after half the sequence, load it back and continue from both.
        var (_, halfway) = streaming.Forward(tokens[.., ..(length / 2)], streaming.InitialState(1));
        var path = Path.Combine(Path.GetTempPath(), $"nsm-sample-{Guid.NewGuid():N}.safetensors");
        halfway.Save(path);
        using var loaded = ModelState.Load(path);
        File.Delete(path);
        var (fromLive, _) = streaming.Forward(tokens[.., (length / 2)..], halfway);
        var (fromLoaded, _) = streaming.Forward(tokens[.., (length / 2)..], loaded);
        var loadedDiff = (fromLoaded - fromLive).abs().max().item<float>();
        output.WriteLine($"saved the state after {loaded.Position} tokens ({loaded.ByteSize:N0} bytes) and loaded it: "
            + $"max |continued from loaded - from live| = {loadedDiff:E1}");
        return new SampleResult(losses, streamedDiff, loadedDiff, loaded.Position);
    }
}
