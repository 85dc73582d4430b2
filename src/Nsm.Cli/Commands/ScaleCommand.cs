using System.CommandLine;
using System.Globalization;
using Nsm.Benchmarks;
using Nsm.Registry;

namespace Nsm.Cli.Commands;

/// <summary>
/// <c>nsm scale</c>: throughput, memory and generation cost against sequence length (src/Nsm.Benchmarks);
/// with the hidden <c>--cell SPEC --cell-out RESULT</c> it is the worker that measures one cell in a fresh process.
/// </summary>
public sealed class ScaleCommand
{
    private readonly Option<bool> quick = CliOption.Switch("--quick", "seconds-long smoke version: tiny widths and lengths, in-process");
    private readonly Option<bool> layer = CliOption.Switch("--layer", "one layer of each kind at equal width (suite \"layer\") instead of full models at matched parameters");
    private readonly Option<IReadOnlyList<string>?> models = ModelsOption("model kinds to measure [default: every registered kind; --layer: transformer,nsm]");
    private readonly Option<IReadOnlyList<int>?> lengths = CliOption.Sizes("--lengths", "N,N", "sequence lengths of the train and infer sweeps" + Defaults(o => CliOption.FormatSizes(o.Lengths)));
    private readonly Option<IReadOnlyList<int>?> contexts = CliOption.Sizes("--contexts", "N,N", "context lengths before the timed generation steps" + Defaults(o => CliOption.FormatSizes(o.Contexts)));
    private readonly Option<IReadOnlyList<string>?> modes = CliOption.List("--modes", "MODE,MODE", $"which of {string.Join(", ", ScaleModes.All)} to run" + Defaults(o => string.Join(",", o.Modes)), ScaleModes.All);
    private readonly Option<int?> dModel = CliOption.Int("--d-model", "D", "width of the reference model (of every kind when parameters are not matched)" + Defaults(o => o.DModel), min: 1);
    private readonly Option<int?> numLayers = CliOption.Int("--layers", "L", "depth" + Defaults(o => o.NumLayers), min: 1);
    private readonly Option<int?> numHeads = CliOption.Int("--heads", "H", "attention heads" + Defaults(o => o.NumHeads), min: 1);
    private readonly Option<string[]> overrides = CliOption.Overrides("extra model settings for every kind, e.g. model.chunk_size=128 (repeatable)");
    private readonly Option<bool> noMatch = CliOption.Switch("--no-match", "equal width and depth for every kind instead of the reference kind's parameter count");
    private readonly Option<double?> targetParams = CliOption.Number("--target-params", "P", "parameter target when matching; 0 = the reference kind's count at --d-model and --layers [default: 0]", min: 0);
    private readonly Option<int?> batchTokens = CliOption.Int("--batch-tokens", "T", "tokens per batch (batch size = max(1, T / length))" + Defaults(o => o.BatchTokens), min: 1);
    private readonly Option<int?> warmup = CliOption.Int("--warmup", "N", "untimed repetitions first" + Defaults(o => o.Warmup), min: 0);
    private readonly Option<int?> repetitions = CliOption.Int("--reps", "N", "timed repetitions" + Defaults(o => o.Repetitions), min: 1);
    private readonly Option<double?> budget = CliOption.Number("--budget", "SEC", "seconds one measurement may take before it is reported as timeout" + Defaults(o => o.BudgetSeconds), min: 0.1);
    private readonly Option<double?> prefillBudget = CliOption.Number("--prefill-budget", "SEC", "seconds allowed for consuming a generation context (untimed)" + Defaults(o => o.PrefillBudgetSeconds), min: 0.1);
    private readonly Option<double?> maxRssGb = CliOption.Number("--max-rss-gb", "GB", "resident-memory cap of one measurement in process isolation; 0 = none" + Defaults(o => o.MaxResidentBytes / (double)(1L << 30)), min: 0);
    private readonly Option<int?> threads = CliOption.Int("--threads", "N", "libtorch threads; 0 keeps the default [default: 0]", min: 0);
    private readonly Option<int?> generateTokens = CliOption.Int("--generate-tokens", "N", "timed generation steps after each context" + Defaults(o => o.GenerateTokens), min: 1);
    private readonly Option<string?> isolation = CliOption.Choice("--isolation", "MODE", "process: each measurement in a fresh process, memory cap enforced; in-process: in this one [default: process; --quick: in-process]", "process", "in-process");
    private readonly Option<string?> outDir = CliOption.Text("--out", "DIR", "output folder for results.json, report.md and charts [default: runs/SUITE-yyyyMMdd-HHmmss]");
    // The worker entry point of ChildProcessRunner: measure one cell and write its record.
    private readonly Option<string?> cell = Hidden(CliOption.Text("--cell", "SPEC", "worker mode: the cell to measure (JSON file)"));
    private readonly Option<string?> cellOut = Hidden(CliOption.Text("--cell-out", "RESULT", "worker mode: where its record goes"));

    public static Command Create() => new ScaleCommand().Build();

    private Command Build()
    {
        var command = new Command("scale", "Training and inference tokens/s, peak memory, generation latency and state size against sequence length; log-log slopes, FLOPs and MFU (docs/benchmarks.md).")
        {
            quick, layer, models, lengths, contexts, modes, dModel, numLayers, numHeads, overrides, noMatch, targetParams, batchTokens,
            warmup, repetitions, budget, prefillBudget, maxRssGb, threads, generateTokens, isolation, outDir, cell, cellOut,
        };
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        if (parse.GetValue(cell) is { } spec)
        {
            ChildProcessRunner.RunWorker(spec, parse.GetValue(cellOut) ?? throw new UsageException("missing required option '--cell-out'"));
            return 0;
        }
        var options = Options(parse);
        var folder = parse.GetValue(outDir) ?? Path.Combine("runs", $"{options.Suite}-{DateTime.Now:yyyyMMdd-HHmmss}");
        var mode = parse.GetValue(isolation) ?? (parse.GetValue(quick) ? "in-process" : "process");
        Func<CellSpec, BenchmarkRecord> runner = mode == "process"
            ? new ChildProcessRunner(WorkerProcess.Self(), options.MaxResidentBytes).Run
            : ScaleBenchmark.InProcess;
        var records = new ScaleBenchmark(options, runner, parse.Output()).Run();
        ScaleReport.WriteOutput(folder, records, options.Suite);
        parse.Output().WriteLine($"wrote {folder}/{ResultsWriter.ResultsFile}, {ResultsWriter.ReportFile} and charts");
        return 0;
    }

    /// <summary>Options from the command line on top of the full, --quick or --layer defaults.</summary>
    private ScaleOptions Options(ParseResult parse)
    {
        var isLayer = parse.GetValue(layer);
        var o = parse.GetValue(quick) ? ScaleOptions.Quick(isLayer ? "layer" : "scale") : isLayer ? ScaleOptions.Layer() : new ScaleOptions();
        // The one-layer comparison is NSM vs Transformer (whichever of the two is registered).
        if (isLayer && parse.GetValue(models) is null) o = o with { Models = new[] { "transformer", "nsm" }.Where(ModelRegistry.Kinds.Contains).ToList() };
        return o with
        {
            Command = parse.CommandText(),
            Models = parse.GetValue(models) ?? o.Models,
            Lengths = parse.GetValue(lengths) ?? o.Lengths,
            Contexts = parse.GetValue(contexts) ?? o.Contexts,
            Modes = parse.GetValue(modes) ?? o.Modes,
            DModel = parse.GetValue(dModel) ?? o.DModel,
            NumLayers = parse.GetValue(numLayers) ?? o.NumLayers,
            NumHeads = parse.GetValue(numHeads) ?? o.NumHeads,
            Overrides = parse.GetValue(overrides) ?? [],
            MatchParams = o.MatchParams && !parse.GetValue(noMatch),
            TargetParams = (long)(parse.GetValue(targetParams) ?? o.TargetParams),
            BatchTokens = parse.GetValue(batchTokens) ?? o.BatchTokens,
            Warmup = parse.GetValue(warmup) ?? o.Warmup,
            Repetitions = parse.GetValue(repetitions) ?? o.Repetitions,
            BudgetSeconds = parse.GetValue(budget) ?? o.BudgetSeconds,
            PrefillBudgetSeconds = parse.GetValue(prefillBudget) ?? o.PrefillBudgetSeconds,
            MaxResidentBytes = parse.GetValue(maxRssGb) is { } gb ? (long)(gb * (1L << 30)) : o.MaxResidentBytes,
            Threads = parse.GetValue(threads) ?? o.Threads,
            GenerateTokens = parse.GetValue(generateTokens) ?? o.GenerateTokens,
        };
    }

    /// <summary>A comma-separated list of model kinds, completed from the registry.</summary>
    public static Option<IReadOnlyList<string>?> ModelsOption(string description, string name = "--models", string helpName = "KIND,KIND")
    {
        var option = CliOption.List(name, helpName, description);
        option.CompletionSources.Add(_ => ModelRegistry.Kinds);
        return option;
    }

    /// <summary>" [default: FULL; --layer: ...; --quick: ...]", naming only the variants that differ.</summary>
    private static string Defaults<T>(Func<ScaleOptions, T> get)
    {
        static string Text(T value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        var full = Text(get(new ScaleOptions()));
        var layer = Text(get(ScaleOptions.Layer()));
        var quick = Text(get(ScaleOptions.Quick()));
        var quickLayer = Text(get(ScaleOptions.Quick("layer")));
        var parts = new List<string> { full };
        if (layer != full) parts.Add($"--layer: {layer}");
        if (quick != full) parts.Add($"--quick: {quick}");
        if (quickLayer != quick && quickLayer != layer) parts.Add($"--quick --layer: {quickLayer}");
        return $" [default: {string.Join("; ", parts)}]";
    }

    private static Option<string?> Hidden(Option<string?> option)
    {
        option.Hidden = true;
        return option;
    }
}
