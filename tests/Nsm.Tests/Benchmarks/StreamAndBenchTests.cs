using Nsm.Benchmarks;
using Nsm.Cli;
using Nsm.Tests.Support;

namespace Nsm.Tests.Benchmarks;

public sealed class StreamAndBenchTests
{
    [Fact]
    public void QuickStreamRecordsMemoryAtEveryCheckpointAndTheGrowth()
    {
        using var dir = TestConfigs.TempDir();
        var options = StreamOptions.Quick("transformer") with { DModel = 16, TotalTokens = 512, PieceTokens = 64, RecordEvery = 128, Command = "test" };
        var records = StreamBenchmark.Run(options);
        StreamBenchmark.WriteOutput(dir.Path, records);

        var results = OutputAssert.Results(dir.Path);
        var checkpoints = results.Where(r => r!["peak_growth"] is null).ToList();
        Assert.Equal([128L, 256, 384, 512], checkpoints.Select(r => r!["tokens"]!.GetValue<long>()));
        foreach (var r in checkpoints)
        {
            Assert.Equal("stream", r!["mode"]!.GetValue<string>());
            Assert.True(r["rss_bytes"]!.GetValue<long>() > 0);
            Assert.True(r["peak_bytes"]!.GetValue<long>() >= r["rss_bytes"]!.GetValue<long>());
        }
        // The Transformer's state is its KV cache: it grows with every token streamed.
        var state = checkpoints.Select(r => r!["state_bytes"]!.GetValue<long>()).ToList();
        Assert.Equal(4 * state[0], state[3]);
        var summary = StreamBenchmark.Summary(records)!;
        Assert.Equal(512, summary.Tokens);
        Assert.NotNull(summary.PeakGrowth);
        Assert.Contains("peak memory grew", OutputAssert.Report(dir.Path, minImages: 1));
    }

    [Fact]
    public void QuickBenchTrainsEveryCombinationAndAggregatesSeeds()
    {
        using var dir = TestConfigs.TempDir();
        var options = BenchOptions.Quick() with
        {
            Presets = ["copy-transformer"], Models = ["transformer"], Seeds = [1, 2], Command = "test",
            Overrides = ["model.d_model=16", "task.seq_len=4", "task.vocab_size=6", "task.eval_examples=16", "train.steps=4", "train.batch_size=4", "train.warmup_steps=1", "train.eval_every=2", "train.log_every=2"],
        };
        var records = new TaskBenchmark(options).Run(dir.Path);
        TaskBenchmark.WriteOutput(dir.Path, records);

        var results = OutputAssert.Results(dir.Path);
        Assert.Equal(3, results.Count);   // two seeds and their aggregate
        foreach (var r in results)
        {
            Assert.Equal("copy", r!["mode"]!.GetValue<string>());
            Assert.Equal("ok", r["status"]!.GetValue<string>());
            foreach (var key in new[] { "accuracy", "loss", "perplexity", "bits_per_token", "tokens_per_sec", "params", "steps", "config" })
                Assert.True(r.AsObject().ContainsKey(key), $"bench record without '{key}'");
        }
        var aggregate = records.Single(r => r.Seed is null);
        Assert.Equal(2, aggregate.NumSeeds);
        var accuracies = records.Where(r => r.Seed is not null).Select(r => r.Accuracy!.Value).ToList();
        Assert.Equal(accuracies.Average(), aggregate.Accuracy!.Value, 12);
        Assert.Equal(Statistics.StandardDeviation(accuracies), aggregate.AccuracyStd!.Value, 12);
        OutputAssert.Report(dir.Path, minImages: 2);
    }

    [Fact]
    public void CommandsRunFromTheCommandLine()
    {
        using var dir = TestConfigs.TempDir();
        var error = new StringWriter();
        var output = Console.Out;
        Console.SetOut(TextWriter.Null);
        try
        {
            Assert.Equal(0, CommandLine.Run(["scale", "--quick", "--layer", "--models", "transformer", "--lengths", "16", "--contexts", "16", "--d-model", "16", "--out", dir.Sub("layer")], error));
            Assert.Equal(0, CommandLine.Run(["stream", "--quick", "--model", "transformer", "--tokens", "128", "--piece", "32", "--every", "64", "--d-model", "16", "--out", dir.Sub("stream")], error));
            Assert.Equal(2, CommandLine.Run(["scale", "--modes", "fly"], error));
        }
        finally
        {
            Console.SetOut(output);
        }
        var layer = OutputAssert.Results(dir.Sub("layer"));
        Assert.All(layer, r => Assert.Equal("layer", r!["suite"]!.GetValue<string>()));
        Assert.Contains(layer, r => r!["config"]?["num_layers"]?.GetValue<int>() == 1);
        OutputAssert.Results(dir.Sub("stream"));
        Assert.Contains("--modes", error.ToString());
    }
}
