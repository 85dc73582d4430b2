using System.CommandLine;
using Nsm.Benchmarks;
using Nsm.Config;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm bench</c>: tasks x models at equal parameter and training budgets (src/Nsm.Benchmarks).</summary>
public sealed class BenchCommand
{
    private static readonly BenchOptions Full = new();
    private static readonly BenchOptions QuickDefaults = BenchOptions.Quick();

    private readonly Option<bool> quick = CliOption.Switch("--quick", $"smoke version: {QuickDefaults.Seeds.Count} seed, {string.Join(" ", QuickDefaults.Overrides)}");
    private readonly Option<IReadOnlyList<string>?> presets = PresetsOption();
    private readonly Option<IReadOnlyList<string>?> models = ScaleCommand.ModelsOption("model kinds [default: every registered kind]");
    private readonly Option<IReadOnlyList<int>?> seeds = CliOption.Sizes("--seeds", "S,S", $"training seeds; mean ± std over them [default: {string.Join(",", Full.Seeds)}; --quick: {string.Join(",", QuickDefaults.Seeds)}]");
    private readonly Option<double?> maxSeconds = CliOption.Number("--max-seconds", "S", "equal wall-clock budget per run (train.max_seconds); 0 = equal steps only [default: 0]", min: 0);
    private readonly Option<string[]> overrides = CliOption.Overrides("override applied to every run after the preset, e.g. train.steps=200 (repeatable)");
    private readonly Option<bool> noMatch = CliOption.Switch("--no-match", "equal width and depth for every kind instead of the preset model's parameter count");
    private readonly Option<string?> outDir = CliOption.Text("--out", "DIR", "output folder [default: runs/bench-yyyyMMdd-HHmmss]");

    public static Command Create() => new BenchCommand().Build();

    private Command Build()
    {
        var command = new Command("bench", "Tasks x models at equal parameter and training budgets; final metrics per run, mean ± std over seeds, training curves.")
        {
            quick, presets, models, seeds, maxSeconds, overrides, noMatch, outDir,
        };
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        var o = parse.GetValue(quick) ? BenchOptions.Quick() : new BenchOptions();
        o = o with
        {
            Command = parse.CommandText(),
            Presets = parse.GetValue(presets) ?? o.Presets,
            Models = parse.GetValue(models) ?? o.Models,
            Seeds = parse.GetValue(seeds) ?? o.Seeds,
            Overrides = [.. o.Overrides, .. parse.GetValue(overrides) ?? []],
            MatchParams = !parse.GetValue(noMatch),
            MaxSeconds = parse.GetValue(maxSeconds) ?? o.MaxSeconds,
        };
        var folder = parse.GetValue(outDir) ?? Path.Combine("runs", $"bench-{DateTime.Now:yyyyMMdd-HHmmss}");
        var records = new TaskBenchmark(o, parse.Output()).Run(folder);
        TaskBenchmark.WriteOutput(folder, records);
        parse.Output().WriteLine($"wrote {folder}/{ResultsWriter.ResultsFile}, {ResultsWriter.ReportFile} and charts");
        return 0;
    }

    private static Option<IReadOnlyList<string>?> PresetsOption()
    {
        var option = CliOption.List("--presets", "NAME,NAME", $"presets whose task and train sections define the tasks and whose model sets the parameter budget [default: {string.Join(",", Full.Presets)}]");
        option.CompletionSources.Add(_ => ConfigLoader.PresetNames());
        return option;
    }
}
