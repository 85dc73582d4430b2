using Nsm.Benchmarks;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm stream</c>: memory while a million tokens stream through a model (src/Nsm.Benchmarks).</summary>
public static class StreamCommand
{
    public const string Usage = "nsm stream [--quick] [--model nsm] [--tokens 1000000] [--piece 2048] [--every 100000] [--out DIR]";

    public static int Run(IReadOnlyList<string> args)
    {
        var a = new Arguments(args, new HashSet<string> { "model", "tokens", "piece", "every", "d-model", "layers", "heads", "set", "budget", "threads", "out" }, new HashSet<string> { "quick" });
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'; usage: {Usage}");
        var model = a.Get("model") ?? "nsm";
        var o = a.Has("quick") ? StreamOptions.Quick(model) : new StreamOptions { Model = model };
        o = o with
        {
            Command = BenchmarkArguments.CommandLine("stream", args),
            TotalTokens = (long)a.GetDouble("tokens", o.TotalTokens, 1),
            PieceTokens = a.GetInt("piece", o.PieceTokens, 1),
            RecordEvery = (long)a.GetDouble("every", o.RecordEvery, 1),
            DModel = a.GetInt("d-model", o.DModel, 1),
            NumLayers = a.GetInt("layers", o.NumLayers, 1),
            NumHeads = a.GetInt("heads", o.NumHeads, 1),
            Overrides = a.All("set"),
            BudgetSeconds = a.GetDouble("budget", o.BudgetSeconds, 0.1),
            Threads = a.GetInt("threads", o.Threads, 0),
        };
        var outDir = a.Get("out") ?? Path.Combine("runs", $"stream-{DateTime.Now:yyyyMMdd-HHmmss}");
        var records = StreamBenchmark.Run(o, Console.Out);
        StreamBenchmark.WriteOutput(outDir, records);
        if (StreamBenchmark.Summary(records) is { } s)
            Console.WriteLine($"peak memory growth {s.PeakGrowth:P2} over {s.Tokens:N0} tokens; wrote {outDir}");
        return 0;
    }
}
