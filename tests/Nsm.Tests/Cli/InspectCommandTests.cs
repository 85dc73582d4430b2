using System.Text.Json.Nodes;
using Nsm.Tests.Support;
using static Nsm.Tests.Cli.CliHarness;

namespace Nsm.Tests.Cli;

/// <summary>Three tiny trained checkpoints (NSM, Transformer, LSTM) on the copy task, shared by the inspect tests.</summary>
public sealed class InspectCheckpoints : IDisposable
{
    private readonly TempDir dir = TestConfigs.TempDir();

    public InspectCheckpoints()
    {
        string Train(string preset, string name, params string[] sets)
        {
            var run = dir.Sub(name);
            var args = new List<string> { "train", "--preset", preset, "--out", run, "--set", "train.steps=3", "--set", "train.eval_every=0", "--set", "task.eval_examples=4" };
            foreach (var s in sets) args.AddRange(["--set", s]);
            Assert.Equal(0, Run([.. args]).Code);
            return run;
        }
        Nsm = Train("copy-long-nsm", "nsm", "model.d_model=16");
        Transformer = Train("copy-transformer", "transformer", "model.d_model=16");
        Lstm = Train("copy-lstm", "lstm", "model.d_model=16");
    }

    public string Nsm { get; }
    public string Transformer { get; }
    public string Lstm { get; }

    public string Folder(string name) => dir.Sub(name);

    public void Dispose() => dir.Dispose();
}

public sealed class InspectCommandTests(InspectCheckpoints runs) : IClassFixture<InspectCheckpoints>
{
    [Fact]
    public void WritesPicturesJsonAndAPageAndLeavesTheCheckpointAlone()
    {
        var before = Directory.GetFiles(runs.Nsm).ToDictionary(f => f, File.ReadAllBytes);
        var result = Run("inspect", "--checkpoint", runs.Nsm, "--example", "1");
        Assert.Equal(0, result.Code);
        var folder = Path.Combine(runs.Nsm, "inspect");
        Assert.Contains(folder, result.Output);
        Assert.All(before, kv => Assert.Equal(kv.Value, File.ReadAllBytes(kv.Key)));

        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "inspect.json")))!;
        Assert.Equal(1, (int)report["schema"]!);
        var layers = report["nsm_layers"]!.AsArray();
        Assert.Equal(2, layers.Count);
        var html = File.ReadAllText(Path.Combine(folder, "index.html"));
        foreach (var layer in layers)
        {
            var i = (int)layer!["index"]!;
            foreach (var picture in new[] { "write-routing", "read", "slot-norm", "slot-change", "slot-similarity", "importance", "usage" })
            {
                var file = $"layer{i}-{picture}.png";
                Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(folder, file))[..4]);
                Assert.Contains($"({file})", html);
            }
            var routing = layer["routing"]!.AsArray();
            var nulls = layer["routing_null"]!.AsArray();
            for (var t = 0; t < routing.Count; t++)
                Assert.Equal(1.0, routing[t]!.AsArray().Sum(x => (double)x!) + (double)nulls[t]!, 4);
            Assert.InRange((double)layer["summary"]!["routing_entropy"]!, 0, Math.Log(17));
        }
        Assert.Equal(Directory.GetFiles(folder, "*.png").Length, html.Split("data:image/png;base64,").Length - 1);
        Assert.DoesNotContain("http", html);
    }

    [Fact]
    public void TextAndRangeShowOnlyTheRangeAndReplaceTheFolder()
    {
        var outDir = Path.Combine(runs.Folder("out"), "inspect-text");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "stale.txt"), "old");
        var result = Run("inspect", "--checkpoint", runs.Nsm, "--text", "abcabcabcabcabcabcabc", "--range", "3:19", "--out", outDir);
        Assert.Equal(0, result.Code);
        Assert.False(File.Exists(Path.Combine(outDir, "stale.txt")), "the old folder's files survived");
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "inspect.json")))!;
        Assert.Equal([3, 19], report["range"]!.AsArray().Select(x => (int)x!));
        Assert.Equal(16, report["labels"]!.AsArray().Count);
        var layer = report["nsm_layers"]![0]!;
        Assert.Equal(16, layer["read"]!.AsArray().Count);
        Assert.Equal([3, 16], layer["written_range"]!.AsArray().Select(x => (int)x!));   // chunks of 8: tokens 0..15 written
        Assert.Empty(Directory.GetDirectories(runs.Folder("out"), ".inspect-text.*"));
    }

    [Fact]
    public void TransformerCheckpointsShowCausalAttention()
    {
        var outDir = Path.Combine(runs.Folder("out"), "inspect-transformer");
        Assert.Equal(0, Run("inspect", "--checkpoint", runs.Transformer, "--example", "0", "--out", outDir).Code);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "inspect.json")))!;
        var attention = report["attention_layers"]![0]!["attention"]!.AsArray();
        for (var q = 0; q < attention.Count; q++)
        {
            var row = attention[q]!.AsArray().Select(x => (double)x!).ToArray();
            Assert.Equal(1.0, row.Sum(), 4);
            Assert.All(row.Skip(q + 1), w => Assert.Equal(0.0, w));
        }
        Assert.True(File.Exists(Path.Combine(outDir, "layer1-attention.png")));
    }

    [Theory]
    [InlineData("lstm", new[] { "--example", "0" }, "cannot be inspected; kinds that can: nsm, transformer")]
    [InlineData("nsm", new[] { "--text", "ab~" }, "'~' at position 2")]
    [InlineData("nsm", new[] { "--example", "4" }, "--example 4 is out of range: task 'copy' has 4 evaluation examples (0..3)")]
    [InlineData("nsm", new[] { "--example", "-1" }, "--example must be 0 or more")]
    [InlineData("nsm", new[] { "--example", "x" }, "--example must be a whole number")]
    [InlineData("nsm", new[] { "--example", "0", "--range", "5:999" }, "--range 5:999 is out of bounds")]
    [InlineData("nsm", new[] { "--example", "0", "--range", "9:3" }, "--range 9:3 is out of bounds")]
    [InlineData("nsm", new[] { "--example", "0", "--range", "3-9" }, "--range must be A:B")]
    [InlineData("nsm", new[] { "--example", "0", "--text", "ab" }, "exactly one of --text and --example")]
    [InlineData("nsm", new string[0], "exactly one of --text and --example")]
    public void BadInputIsOneLineAndExitCodeTwo(string kind, string[] args, string message)
    {
        var run = kind == "lstm" ? runs.Lstm : runs.Nsm;
        var outDir = Path.Combine(runs.Folder("out"), "bad-" + Guid.NewGuid().ToString("N"));
        var result = Run(["inspect", "--checkpoint", run, "--out", outDir, .. args]);
        Assert.Equal(2, result.Code);
        Assert.Single(result.ErrorLines);
        Assert.Contains(message, result.Error);
        Assert.False(Directory.Exists(outDir), "a failed inspect wrote its folder");
    }
}
