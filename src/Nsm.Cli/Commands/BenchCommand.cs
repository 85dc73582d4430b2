using Nsm.Benchmarks;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm bench</c>: tasks x models at equal parameter and training budgets (src/Nsm.Benchmarks).</summary>
public static class BenchCommand
{
    public const string Usage = "nsm bench [--quick] [--presets a,b] [--models a,b] [--seeds 1,2] [--max-seconds S] [--set key=value ...] [--no-match] [--out DIR]";

    public static int Run(IReadOnlyList<string> args)
    {
        var a = new Arguments(args, new HashSet<string> { "presets", "models", "seeds", "max-seconds", "set", "out" }, new HashSet<string> { "quick", "no-match" });
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'; usage: {Usage}");
        var o = a.Has("quick") ? BenchOptions.Quick() : new BenchOptions();
        o = o with
        {
            Command = BenchmarkArguments.CommandLine("bench", args),
            Presets = BenchmarkArguments.List(a, "presets", o.Presets),
            Models = BenchmarkArguments.List(a, "models", o.Models),
            Seeds = BenchmarkArguments.Ints(a, "seeds", o.Seeds),
            Overrides = [.. o.Overrides, .. a.All("set")],
            MatchParams = !a.Has("no-match"),
            MaxSeconds = a.GetDouble("max-seconds", o.MaxSeconds, 0),
        };
        var outDir = a.Get("out") ?? Path.Combine("runs", $"bench-{DateTime.Now:yyyyMMdd-HHmmss}");
        var records = new TaskBenchmark(o, Console.Out).Run(outDir);
        TaskBenchmark.WriteOutput(outDir, records);
        Console.WriteLine($"wrote {outDir}/{ResultsWriter.ResultsFile}, {ResultsWriter.ReportFile} and charts");
        return 0;
    }
}
