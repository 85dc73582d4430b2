using System.CommandLine;
using System.Globalization;
using Nsm.Benchmarks;
using Nsm.Registry;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm stream</c>: memory while a million tokens stream through a model (src/Nsm.Benchmarks).</summary>
public sealed class StreamCommand
{
    private readonly Option<bool> quick = CliOption.Switch("--quick", "seconds-long smoke version: tiny model, 4,096 tokens");
    private readonly Option<string?> model = ModelOption();
    private readonly Option<double?> tokens = CliOption.Number("--tokens", "N", "tokens pushed through in total" + Defaults(o => o.TotalTokens), min: 1);
    private readonly Option<int?> piece = CliOption.Int("--piece", "N", "tokens per forward call" + Defaults(o => o.PieceTokens), min: 1);
    private readonly Option<double?> every = CliOption.Number("--every", "N", "record memory every N tokens" + Defaults(o => o.RecordEvery), min: 1);
    private readonly Option<int?> dModel = CliOption.Int("--d-model", "D", "width" + Defaults(o => o.DModel), min: 1);
    private readonly Option<int?> numLayers = CliOption.Int("--layers", "L", "depth" + Defaults(o => o.NumLayers), min: 1);
    private readonly Option<int?> numHeads = CliOption.Int("--heads", "H", "attention heads" + Defaults(o => o.NumHeads), min: 1);
    private readonly Option<string[]> overrides = CliOption.Overrides("extra model settings, e.g. model.num_states=32 (repeatable)");
    private readonly Option<double?> budget = CliOption.Number("--budget", "SEC", "stop (status timeout) after this many seconds" + Defaults(o => o.BudgetSeconds), min: 0.1);
    private readonly Option<int?> threads = CliOption.Int("--threads", "N", "libtorch threads; 0 keeps the default [default: 0]", min: 0);
    private readonly Option<string?> outDir = CliOption.Text("--out", "DIR", "output folder [default: runs/stream-yyyyMMdd-HHmmss]");

    public static Command Create() => new StreamCommand().Build();

    private Command Build()
    {
        var command = new Command("stream", "Memory, its peak and the state size every N tokens while a long stream goes through a model; peak growth.")
        {
            quick, model, tokens, piece, every, dModel, numLayers, numHeads, overrides, budget, threads, outDir,
        };
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        var kind = parse.GetValue(model) ?? "nsm";
        var o = parse.GetValue(quick) ? StreamOptions.Quick(kind) : new StreamOptions { Model = kind };
        o = o with
        {
            Command = parse.CommandText(),
            TotalTokens = (long)(parse.GetValue(tokens) ?? o.TotalTokens),
            PieceTokens = parse.GetValue(piece) ?? o.PieceTokens,
            RecordEvery = (long)(parse.GetValue(every) ?? o.RecordEvery),
            DModel = parse.GetValue(dModel) ?? o.DModel,
            NumLayers = parse.GetValue(numLayers) ?? o.NumLayers,
            NumHeads = parse.GetValue(numHeads) ?? o.NumHeads,
            Overrides = parse.GetValue(overrides) ?? [],
            BudgetSeconds = parse.GetValue(budget) ?? o.BudgetSeconds,
            Threads = parse.GetValue(threads) ?? o.Threads,
        };
        var folder = parse.GetValue(outDir) ?? Path.Combine("runs", $"stream-{DateTime.Now:yyyyMMdd-HHmmss}");
        var records = StreamBenchmark.Run(o, parse.Output());
        StreamBenchmark.WriteOutput(folder, records);
        if (StreamBenchmark.Summary(records) is { } s)
            parse.Output().WriteLine($"peak memory growth {s.PeakGrowth:P2} over {s.Tokens:N0} tokens; wrote {folder}");
        return 0;
    }

    private static Option<string?> ModelOption()
    {
        var option = CliOption.Text("--model", "KIND", "model kind to stream through [default: nsm]");
        option.CompletionSources.Add(_ => ModelRegistry.Kinds);
        return option;
    }

    /// <summary>" [default: FULL; --quick: QUICK]", or without the --quick part when the two agree.</summary>
    private static string Defaults<T>(Func<StreamOptions, T> get)
    {
        static string Text(T value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        var full = Text(get(new StreamOptions()));
        var quick = Text(get(StreamOptions.Quick("nsm")));
        return quick == full ? $" [default: {full}]" : $" [default: {full}; --quick: {quick}]";
    }
}
