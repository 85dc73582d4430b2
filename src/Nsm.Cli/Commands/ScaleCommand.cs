using Nsm.Benchmarks;
using Nsm.Registry;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm scale</c>: throughput, memory and generation cost against sequence length (src/Nsm.Benchmarks).</summary>
public static class ScaleCommand
{
    public const string Usage = "nsm scale [--quick] [--layer] [--models a,b] [--lengths 256,1k,...] [--contexts 1k,16k,64k] [--modes train,infer,generate] [--budget SEC] [--out DIR] (see docs/benchmarks.md)";

    private static readonly HashSet<string> ValueFlags =
    [
        "models", "lengths", "contexts", "modes", "d-model", "layers", "heads", "set", "target-params", "batch-tokens",
        "warmup", "reps", "budget", "prefill-budget", "max-rss-gb", "threads", "generate-tokens", "isolation", "out", "cell", "cell-out",
    ];

    private static readonly HashSet<string> Switches = ["quick", "layer", "no-match"];

    public static int Run(IReadOnlyList<string> args)
    {
        var a = new Arguments(args, ValueFlags, Switches);
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'; usage: {Usage}");
        if (a.Get("cell") is { } cell)
        {
            ChildProcessRunner.RunWorker(cell, a.Require("cell-out"));
            return 0;
        }
        var options = Options(a, BenchmarkArguments.CommandLine("scale", args));
        var outDir = a.Get("out") ?? Path.Combine("runs", $"{options.Suite}-{DateTime.Now:yyyyMMdd-HHmmss}");
        var isolation = a.Get("isolation") ?? (a.Has("quick") ? "in-process" : "process");
        Func<CellSpec, BenchmarkRecord> runner = isolation switch
        {
            "process" => new ChildProcessRunner(BenchmarkArguments.Self(), options.MaxResidentBytes).Run,
            "in-process" => ScaleBenchmark.InProcess,
            _ => throw new UsageException($"option '--isolation' must be process or in-process, got '{isolation}'"),
        };
        var records = new ScaleBenchmark(options, runner, Console.Out).Run();
        ScaleReport.WriteOutput(outDir, records, options.Suite);
        Console.WriteLine($"wrote {outDir}/{ResultsWriter.ResultsFile}, {ResultsWriter.ReportFile} and charts");
        return 0;
    }

    /// <summary>Options from the command line on top of the full, --quick or --layer defaults.</summary>
    public static ScaleOptions Options(Arguments a, string command)
    {
        var layer = a.Has("layer");
        var o = a.Has("quick") ? ScaleOptions.Quick(layer ? "layer" : "scale") : layer ? ScaleOptions.Layer() : new ScaleOptions();
        // The one-layer comparison is NSM vs Transformer (whichever of the two is registered).
        if (layer && a.Get("models") is null) o = o with { Models = new[] { "transformer", "nsm" }.Where(ModelRegistry.Kinds.Contains).ToList() };
        return o with
        {
            Command = command,
            Models = BenchmarkArguments.List(a, "models", o.Models),
            Lengths = BenchmarkArguments.Ints(a, "lengths", o.Lengths),
            Contexts = BenchmarkArguments.Ints(a, "contexts", o.Contexts),
            Modes = CheckModes(BenchmarkArguments.List(a, "modes", o.Modes)),
            DModel = a.GetInt("d-model", o.DModel, 1),
            NumLayers = a.GetInt("layers", o.NumLayers, 1),
            NumHeads = a.GetInt("heads", o.NumHeads, 1),
            Overrides = a.All("set"),
            MatchParams = o.MatchParams && !a.Has("no-match"),
            TargetParams = (long)a.GetDouble("target-params", o.TargetParams, 0),
            BatchTokens = a.GetInt("batch-tokens", o.BatchTokens, 1),
            Warmup = a.GetInt("warmup", o.Warmup, 0),
            Repetitions = a.GetInt("reps", o.Repetitions, 1),
            BudgetSeconds = a.GetDouble("budget", o.BudgetSeconds, 0.1),
            PrefillBudgetSeconds = a.GetDouble("prefill-budget", o.PrefillBudgetSeconds, 0.1),
            MaxResidentBytes = (long)(a.GetDouble("max-rss-gb", o.MaxResidentBytes / (double)(1L << 30), 0) * (1L << 30)),
            Threads = a.GetInt("threads", o.Threads, 0),
            GenerateTokens = a.GetInt("generate-tokens", o.GenerateTokens, 1),
        };
    }

    private static IReadOnlyList<string> CheckModes(IReadOnlyList<string> modes)
    {
        foreach (var m in modes)
            if (!ScaleModes.All.Contains(m)) throw new UsageException($"option '--modes' takes {string.Join(", ", ScaleModes.All)}; got '{m}'");
        return modes;
    }
}
