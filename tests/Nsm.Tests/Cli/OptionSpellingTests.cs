using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json.Nodes;
using Nsm.Cli;
using Nsm.Tests.Benchmarks;
using Nsm.Tests.Support;

namespace Nsm.Tests.Cli;

/// <summary>
/// The contract of the first (hand-written) parser: every command and option it knew keeps its
/// spelling and meaning. Parsing is checked for each command with its full option set; the
/// commands then run with those sets at tiny sizes.
/// </summary>
public sealed class OptionSpellingTests
{
    /// <summary>Every command line of the first version with every option it took (values where it took them).</summary>
    public static TheoryData<string[]> FullOptionSets() => new()
    {
        new[] { "train", "--config", "c.json", "--preset", "copy-transformer", "--set", "train.steps=3", "--set", "model.d_model=16", "--out", "runs/a", "--resume", "runs/b" },
        new[] { "eval", "--checkpoint", "runs/a", "--set", "task.eval_examples=8" },
        new[] { "generate", "--checkpoint", "runs/a", "--prompt", "ab|", "--tokens", "4", "--temperature", "0.7", "--top-k", "3", "--seed", "5", "--set", "train.device=cpu" },
        new[] { "config", "show", "--config", "c.json", "--preset", "copy-transformer", "--set", "model.d_model=16" },
        new[] { "config", "validate", "--config", "c.json", "--preset", "copy-transformer", "--set", "model.d_model=16" },
        new[] { "config", "presets" },
        new[]
        {
            "scale", "--quick", "--layer", "--no-match", "--models", "nsm,transformer", "--lengths", "256,1k", "--contexts", "1k,64k", "--modes", "train,infer,generate",
            "--d-model", "16", "--layers", "1", "--heads", "2", "--set", "model.dropout=0", "--target-params", "1e5", "--batch-tokens", "64", "--warmup", "0",
            "--reps", "1", "--budget", "5", "--prefill-budget", "5", "--max-rss-gb", "2", "--threads", "1", "--generate-tokens", "2", "--isolation", "in-process",
            "--out", "runs/scale", "--cell", "spec.json", "--cell-out", "record.json",
        },
        new[]
        {
            "stream", "--quick", "--model", "transformer", "--tokens", "1e6", "--piece", "32", "--every", "64", "--d-model", "16", "--layers", "1", "--heads", "2",
            "--set", "model.dropout=0", "--budget", "5", "--threads", "1", "--out", "runs/stream",
        },
        new[]
        {
            "bench", "--quick", "--no-match", "--presets", "copy-transformer,selective-copy-transformer", "--models", "transformer,lstm", "--seeds", "1,2",
            "--max-seconds", "3", "--set", "train.steps=2", "--set", "model.d_model=16", "--out", "runs/bench",
        },
        new[] { "report", "--scale", "runs/s", "--layer", "runs/l", "--bench", "runs/b", "--stream", "runs/t", "--out", "docs/x.md", "--images", "docs/x" },
    };

    [Theory]
    [MemberData(nameof(FullOptionSets))]
    public void EveryOptionOfTheFirstVersionParses(string[] args)
    {
        var parse = CommandLine.Create().Parse(args);
        Assert.Empty(parse.Errors);
        Assert.Empty(parse.UnmatchedTokens);
        var given = Given(args);
        var results = parse.CommandResult.Children.OfType<OptionResult>().Where(r => !r.Implicit).ToDictionary(r => r.Option.Name);
        Assert.Equal(given.Keys.Order(), results.Keys.Order());
        foreach (var (name, values) in given)
            Assert.Equal(values, results[name].Tokens.Select(t => t.Value));
    }

    [Fact]
    public void EqualsSignsRepeatsAndOverridesMeanWhatTheyMeantBefore()
    {
        var root = CommandLine.Create();
        var spaced = root.Parse(["train", "--preset", "copy-transformer", "--out", "runs/a"]);
        var joined = root.Parse(["train", "--preset=copy-transformer", "--out=runs/a"]);
        Assert.Equal(spaced.GetValue<string>("--out"), joined.GetValue<string>("--out"));
        Assert.Equal("copy-transformer", joined.GetValue<string>("--preset"));

        // A repeated value option: the last one counts, as in the first parser.
        Assert.Equal("runs/b", root.Parse(["train", "--out", "runs/a", "--out", "runs/b"]).GetValue<string>("--out"));
        // --set accumulates in order.
        Assert.Equal(["a.b=1", "c.d=2", "a.b=3"], root.Parse(["config", "show", "--set", "a.b=1", "--set=c.d=2", "--set", "a.b=3"]).GetValue<string[]>("--set")!);
        // A value may start with a dash.
        Assert.Equal("--ab", root.Parse(["generate", "--checkpoint", "x", "--prompt", "--ab", "--seed", "1"]).GetValue<string>("--prompt"));
        Assert.Equal("option '--temperature' must be a number >= 0, got '-1'",
            Assert.Single(root.Parse(["generate", "--checkpoint", "x", "--prompt", "a", "--temperature", "-1"]).Errors).Message);
        Assert.Equal(new[] { 1024, 65536, 1 << 20 }, root.Parse(["scale", "--lengths", "1k,64k,1M"]).GetValue<IReadOnlyList<int>>("--lengths"));
    }

    [Fact]
    public void TrainEvalGenerateAndConfigRunWithTheirOptions()
    {
        using var dir = TestConfigs.TempDir();
        var config = dir.Sub("tiny.json");
        File.WriteAllText(config, """{ "model": { "kind": "transformer", "d_model": 16, "num_layers": 1, "num_heads": 2 }, "task": { "name": "copy", "vocab_size": 8, "seq_len": 6, "eval_examples": 16 }, "train": { "steps": 2, "batch_size": 4, "eval_every": 0, "log_every": 1 } }""");
        var run = dir.Sub("run");

        var show = CliHarness.Run("config", "show", "--config", config, "--set", "model.d_model=24");
        Assert.Equal(0, show.Code);
        Assert.Equal(24, JsonNode.Parse(show.Output)!["model"]!["d_model"]!.GetValue<int>());
        Assert.Equal("config is valid", CliHarness.Run("config", "validate", "--config", config, "--set", "train.steps=3").Output.Trim());
        Assert.Contains("copy-transformer", CliHarness.Run("config", "presets").Output.Split('\n', StringSplitOptions.TrimEntries));

        Assert.Equal(0, CliHarness.Run("train", "--config", config, "--set", "train.steps=1", "--out", run).Code);
        var resumed = CliHarness.Run("train", "--resume", run, "--set", "train.steps=2");
        Assert.Equal(0, resumed.Code);
        Assert.Contains("\"steps\": 2", File.ReadAllText(Path.Combine(run, "summary.json")));

        // eval prints one JSON object; --set changes the checkpoint's config (half the held-out examples, half the count).
        long Count(params string[] args)
        {
            var eval = CliHarness.Run(["eval", "--checkpoint", run, .. args]);
            Assert.Equal(0, eval.Code);
            var json = Assert.IsType<JsonObject>(JsonNode.Parse(Assert.Single(eval.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))));
            return json["count"]!.GetValue<long>();
        }
        Assert.Equal(Count(), 2 * Count("--set", "task.eval_examples=8"));

        var generated = CliHarness.Run("generate", "--checkpoint", run, "--prompt", "ab|", "--tokens", "3", "--temperature", "0.5", "--top-k", "2", "--seed", "1", "--set", "train.device=cpu");
        Assert.Equal(0, generated.Code);
        Assert.StartsWith("ab|", generated.Output);
        Assert.Equal("ab|".Length + 3, generated.Output.TrimEnd('\n').Length);
    }

    [Fact]
    public void BenchmarkCommandsRunWithTheirOptions()
    {
        using var dir = TestConfigs.TempDir();
        string[] scale =
        [
            "scale", "--quick", "--no-match", "--models", "transformer", "--lengths", "16", "--contexts", "16", "--modes", "train,generate", "--d-model", "16",
            "--layers", "1", "--heads", "2", "--set", "model.dropout=0", "--target-params", "0", "--batch-tokens", "32", "--warmup", "0", "--reps", "1",
            "--budget", "20", "--prefill-budget", "20", "--max-rss-gb", "2", "--threads", "0", "--generate-tokens", "2", "--isolation", "in-process", "--out", dir.Sub("scale"),
        ];
        Assert.Equal(0, CliHarness.Run(scale).Code);
        var records = OutputAssert.Results(dir.Sub("scale"));
        Assert.All(records, r => Assert.Equal("nsm " + string.Join(" ", scale), r!["command"]!.GetValue<string>()));
        Assert.Contains(records, r => r!["config"]?["d_model"]?.GetValue<int>() == 16 && r["config"]?["num_layers"]?.GetValue<int>() == 1);

        Assert.Equal(0, CliHarness.Run("scale", "--quick", "--layer", "--models", "transformer", "--lengths", "16", "--contexts", "16", "--d-model", "16", "--out", dir.Sub("layer")).Code);
        Assert.Equal(0, CliHarness.Run(
            "stream", "--quick", "--model", "transformer", "--tokens", "128", "--piece", "32", "--every", "64", "--d-model", "16", "--layers", "1", "--heads", "2",
            "--set", "model.dropout=0", "--budget", "20", "--threads", "0", "--out", dir.Sub("stream")).Code);
        Assert.Equal(0, CliHarness.Run(
            "bench", "--quick", "--no-match", "--presets", "copy-transformer", "--models", "transformer", "--seeds", "1", "--max-seconds", "20",
            "--set", "train.steps=2", "--set", "model.d_model=16", "--set", "task.eval_examples=8", "--out", dir.Sub("bench")).Code);
        var report = CliHarness.Run(
            "report", "--scale", dir.Sub("scale"), "--layer", dir.Sub("layer"), "--bench", dir.Sub("bench"), "--stream", dir.Sub("stream"),
            "--out", dir.Sub("page.md"), "--images", dir.Sub("images"));
        Assert.Equal(0, report.Code);
        Assert.True(File.Exists(dir.Sub("page.md")));
        Assert.Contains("--images", File.ReadAllText(dir.Sub("page.md")));
    }

    /// <summary>Option name to the values given for it, from an argument list.</summary>
    private static Dictionary<string, List<string>> Given(string[] args)
    {
        var given = new Dictionary<string, List<string>>();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) continue;
            if (!given.TryGetValue(args[i], out var values)) given[args[i]] = values = [];
            if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) values.Add(args[++i]);
        }
        return given;
    }
}
