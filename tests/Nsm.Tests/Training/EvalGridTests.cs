using System.Text.Json;
using Nsm.Tests.Cli;
using Nsm.Tests.Support;

namespace Nsm.Tests.Training;

/// <summary><c>nsm eval --lengths ... --depths ...</c>: the grid of a passkey checkpoint, cell by cell equal to single evaluations.</summary>
public sealed class EvalGridTests
{
    private static string TrainTinyPasskey(TempDir dir)
    {
        var run = dir.Sub("run");
        var train = CliHarness.Run("train", "--preset", "passkey-nsm", "--out", run, "--set", "task.filler_path=", "--set", "task.seq_len=96",
            "--set", "task.min_distance=20", "--set", "train.steps=2", "--set", "model.d_model=16", "--set", "train.eval_every=0", "--set", "train.threads=1");
        Assert.Equal(0, train.Code);
        return run;
    }

    [Fact]
    public void GridCellsEqualSingleEvaluationsAndTheHeatmapIsWritten()
    {
        using var dir = TestConfigs.TempDir();
        var run = TrainTinyPasskey(dir);
        var picture = dir.Sub("grid.png");
        var grid = CliHarness.Run("eval", "--checkpoint", run, "--set", "task.eval_examples=4", "--lengths", "96,150", "--depths", "0,1", "--piece", "32", "--heatmap", picture);
        Assert.Equal(0, grid.Code);
        using var json = JsonDocument.Parse(grid.Output);
        var cells = json.RootElement.GetProperty("grid").EnumerateArray().ToArray();
        Assert.Equal([(96, 0.0), (150, 0.0), (96, 1.0), (150, 1.0)], cells.Select(c => (c.GetProperty("seq_len").GetInt32(), c.GetProperty("depth").GetDouble())));
        Assert.Equal(cells.Average(c => c.GetProperty("accuracy").GetDouble()), json.RootElement.GetProperty("accuracy").GetDouble(), 12);

        var single = CliHarness.Run("eval", "--checkpoint", run, "--set", "task.eval_examples=4", "--set", "task.seq_len=150",
            "--set", "task.depth_min=1", "--set", "task.depth_max=1");
        Assert.Equal(0, single.Code);
        using var singleJson = JsonDocument.Parse(single.Output);
        Assert.Equal(singleJson.RootElement.GetProperty("accuracy").GetDouble(), cells[3].GetProperty("accuracy").GetDouble());
        Assert.Equal(singleJson.RootElement.GetProperty("loss").GetDouble(), cells[3].GetProperty("loss").GetDouble(), 4);

        var png = File.ReadAllBytes(picture);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    [Theory]
    [InlineData("--depths 0,0.5", "error: --depths and --heatmap need --lengths (the grid's columns)")]
    [InlineData("--lengths 96 --depths 0,1.5", "error: option '--depths' takes numbers in [0, 1] (e.g. 0,0.5,1), got '1.5'")]
    [InlineData("--lengths 96,-3", "error: option '--lengths' must be comma-separated positive integers (e.g. 256,1k,64k), got '-3'")]
    public void BadGridOptionsAreOneLineAndExitCode2(string options, string expected)
    {
        using var dir = TestConfigs.TempDir();
        var run = TrainTinyPasskey(dir);
        var result = CliHarness.Run(["eval", "--checkpoint", run, .. options.Split(' ')]);
        Assert.Equal(2, result.Code);
        Assert.Equal(expected, Assert.Single(result.ErrorLines));
    }

    [Fact]
    public void EvalPieceAndBatchKeysAreThePieceAndBatchOptions()
    {
        using var dir = TestConfigs.TempDir();
        var run = TrainTinyPasskey(dir);
        var byOption = CliHarness.Run("eval", "--checkpoint", run, "--set", "task.eval_examples=6", "--piece", "32", "--batch", "4");
        var byKey = CliHarness.Run("eval", "--checkpoint", run, "--set", "task.eval_examples=6", "--set", "eval.piece=32", "--set", "eval.batch=4");
        var whole = CliHarness.Run("eval", "--checkpoint", run, "--set", "task.eval_examples=6", "--set", "eval.piece=32", "--piece", "0");
        Assert.Equal(0, byOption.Code);
        Assert.Equal(0, byKey.Code);
        Assert.Equal(0, whole.Code);
        using var a = JsonDocument.Parse(byOption.Output);
        using var b = JsonDocument.Parse(byKey.Output);
        using var c = JsonDocument.Parse(whole.Output);
        Assert.Equal(32, a.RootElement.GetProperty("piece").GetInt32());
        Assert.Equal(a.RootElement.GetProperty("loss").GetDouble(), b.RootElement.GetProperty("loss").GetDouble());
        Assert.Equal(32, b.RootElement.GetProperty("piece").GetInt32());
        // The option wins over the key: --piece 0 evaluates each example in one call.
        Assert.Equal(0, c.RootElement.GetProperty("piece").GetInt32());
        Assert.Equal(a.RootElement.GetProperty("loss").GetDouble(), c.RootElement.GetProperty("loss").GetDouble(), 4);
    }

    [Fact]
    public void ANegativeEvalPieceIsOneLineAndExitCode2()
    {
        using var dir = TestConfigs.TempDir();
        var run = TrainTinyPasskey(dir);
        var result = CliHarness.Run("eval", "--checkpoint", run, "--set", "eval.piece=-1");
        Assert.Equal(2, result.Code);
        Assert.Contains("'eval.piece'", Assert.Single(result.ErrorLines));
    }
}
