using System.Text.Json.Nodes;
using Nsm.Tests.Support;

namespace Nsm.Tests.Cli;

public sealed class TrainOutputTests
{
    [Fact]
    public void TrainSaysWhereTheOutputsAreAndTheEvalCommandRunsAsPrinted()
    {
        using var dir = TestConfigs.TempDir();
        var run = dir.Sub("run");
        var train = CliHarness.Run("train", "--preset", "copy-transformer", "--out", run, "--set", "train.steps=1", "--set", "model.d_model=16", "--set", "train.eval_every=0", "--set", "task.eval_examples=8");
        Assert.Equal(0, train.Code);
        foreach (var item in new[] { $"outputs in {run}", Path.Combine(run, "summary.json"), Path.Combine(run, "metrics.jsonl"), Path.Combine(run, "tensorboard") + "/", Path.Combine(run, "model.safetensors") })
            Assert.Contains(item, train.Output);
        foreach (var file in new[] { "summary.json", "metrics.jsonl", "model.safetensors", "config.json", "trainer_state.json" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        Assert.True(Directory.Exists(Path.Combine(run, "tensorboard")));
        // Not a text task: no generate line.
        Assert.DoesNotContain("nsm generate", train.Output);

        var eval = CliHarness.Run(CliHarness.Words(NextCommand(train.Output, "nsm eval ")));
        Assert.Equal(0, eval.Code);
        Assert.IsType<JsonObject>(JsonNode.Parse(eval.Output));
        Assert.Equal(0, CliHarness.Run(CliHarness.Words(NextCommand(train.Output, "nsm train --resume "))).Code);
    }

    [Fact]
    public void ATextTaskAlsoGetsTheGenerateCommand()
    {
        using var dir = TestConfigs.TempDir();
        var text = dir.Sub("input.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("The cat sat on the mat. The dog ran. ", 40)));
        var run = dir.Sub("run with space");
        var train = CliHarness.Run("train", "--preset", "char-lm-transformer", "--out", run, "--set", $"task.data_path={text}", "--set", "task.seq_len=16",
            "--set", "task.max_eval_examples=4", "--set", "train.steps=1", "--set", "train.batch_size=2", "--set", "train.eval_every=0", "--set", "model.d_model=16");
        Assert.Equal(0, train.Code);
        var generate = CliHarness.Run(CliHarness.Words(NextCommand(train.Output, "nsm generate ")));
        Assert.Equal(0, generate.Code);
        Assert.StartsWith("The ", generate.Output);
    }

    private static string NextCommand(string output, string start)
    {
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(start, StringComparison.Ordinal));
        return line ?? throw new InvalidOperationException($"no '{start}' line in:\n{output}");
    }
}
