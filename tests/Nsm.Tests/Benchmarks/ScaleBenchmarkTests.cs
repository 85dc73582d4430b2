using Nsm.Benchmarks;
using Nsm.Config;
using Nsm.Models;
using Nsm.Registry;
using Nsm.Tests.Support;

namespace Nsm.Tests.Benchmarks;

public sealed class ScaleBenchmarkTests
{
    /// <summary>The smallest sweep that still exercises every mode, for every registered kind.</summary>
    private static ScaleOptions Tiny(string suite = "scale") => ScaleOptions.Quick(suite) with
    {
        Lengths = [16, 32], Contexts = [16, 32], DModel = 16, VocabSize = 16, BatchTokens = 32,
        GenerateTokens = 2, PrefillChunk = 16, Repetitions = 2, PeakMatrixSize = 64, Command = "test",
    };

    [Fact]
    public void QuickSweepOfEveryKindWritesResultsReportAndCharts()
    {
        using var dir = TestConfigs.TempDir();
        var records = new ScaleBenchmark(Tiny(), ScaleBenchmark.InProcess).Run();
        ScaleReport.WriteOutput(dir.Path, records, "scale");

        var results = OutputAssert.Results(dir.Path);
        var kinds = ModelRegistry.Kinds.ToList();
        // 2 train + 2 infer + 2 generate cells per kind, and the sgemm peak record.
        Assert.Equal(kinds.Count * 6 + 1, results.Count);
        foreach (var kind in kinds)
        {
            var rows = results.Where(r => r!["model"]!.GetValue<string>() == kind).Select(r => r!.AsObject()).ToList();
            Assert.Equal(6, rows.Count);
            foreach (var row in rows.Where(r => r["mode"]!.GetValue<string>() is "train" or "infer"))
            {
                Assert.Equal("ok", row["status"]!.GetValue<string>());
                Assert.True(row["seq_len"]!.GetValue<long>() is 16 or 32);
                Assert.True(row["tokens_per_sec"]!.GetValue<double>() > 0);
                Assert.True(row["peak_bytes"]!.GetValue<long>() > 0);
                Assert.True(row["flops_per_token"]!.GetValue<double>() > 0);
                Assert.True(row["mfu"]!.GetValue<double>() > 0);
                Assert.Equal("clear_refs", row["memory_isolation"]!.GetValue<string>());
                Assert.Equal(kind, row["config"]!["kind"]!.GetValue<string>());
                Assert.Equal(2, row["repetitions"]!.GetValue<int>());
            }
            foreach (var row in rows.Where(r => r["mode"]!.GetValue<string>() == "generate"))
            {
                var status = row["status"]!.GetValue<string>();
                Assert.True(status is "ok" or "unsupported", $"{kind} generate: {status} {row["note"]}");
                if (status == "ok")
                {
                    Assert.True(row["latency_ms"]!.GetValue<double>() > 0);
                    Assert.True(row["state_bytes"]!.GetValue<long>() > 0);
                }
            }
        }
        // The Transformer's KV cache doubles with the context.
        var kv = results.Where(r => r!["model"]!.GetValue<string>() == "transformer" && r["mode"]!.GetValue<string>() == "generate")
            .ToDictionary(r => r!["context"]!.GetValue<long>(), r => r!["state_bytes"]!.GetValue<long>());
        Assert.Equal(2 * kv[16], kv[32]);
        var peak = results.Single(r => r!["mode"]!.GetValue<string>() == "peak");
        Assert.True(peak!["model_flops_per_sec"]!.GetValue<double>() > 1e6);

        var report = OutputAssert.Report(dir.Path, minImages: 6);
        Assert.Contains("Log-log slopes", report);
        Assert.Contains("Training tokens/s", report);
        Assert.Contains("Generation", report);
    }

    [Fact]
    public void FailuresAreReportedAndLongerLengthsMarkedSkipped()
    {
        // A fake runner: times out from N = 32 on, so 64 must be skipped, not run or dropped.
        var ran = new List<int>();
        BenchmarkRecord Fake(CellSpec cell)
        {
            ran.Add(cell.SeqLen);
            var record = ScaleBenchmark.Skeleton(cell);
            return cell.SeqLen >= 32
                ? record with { Status = MeasurementStatus.Timeout, Note = "over budget" }
                : record with { TokensPerSec = 1000, SecondsMedian = 0.01, PeakBytes = 1 << 20, PeakDeltaBytes = 1 << 10 };
        }
        var options = Tiny() with { Models = ["transformer"], Lengths = [16, 32, 64], Modes = [ScaleModes.Train] };
        var records = new ScaleBenchmark(options, Fake).Run();
        Assert.Equal([16, 32], ran);
        var train = records.Where(r => r.Mode == ScaleModes.Train).OrderBy(r => r.SeqLen).ToList();
        Assert.Equal([MeasurementStatus.Ok, MeasurementStatus.Timeout, MeasurementStatus.Skipped], train.Select(r => r.Status));
        Assert.Contains("timeout at N=32", train[2].Note);
        var markdown = ScaleReport.Markdown(records, [], "");
        Assert.Contains("did not complete", markdown);
        Assert.Contains("skipped", markdown);
    }

    [Fact]
    public void MatchedSizesAreCloseToTheReferenceParameterCount()
    {
        var options = Tiny() with { DModel = 32 };
        var bench = new ScaleBenchmark(options, ScaleBenchmark.InProcess);
        var configs = bench.Configs();
        var target = SizeMatcher.CountParams(configs["transformer"].Config, CellSpec.LanguageModelSpec(options.VocabSize, 16));
        foreach (var (kind, (config, causal)) in configs)
        {
            var spec = CellSpec.LanguageModelSpec(options.VocabSize, 16, causal);
            var count = SizeMatcher.CountParams(config, spec);
            var step = (int)ModelSizing.Step(config);
            var below = config.DModel > step ? SizeMatcher.CountParams(config with { DModel = config.DModel - step }, spec) : long.MaxValue / 2;
            var above = SizeMatcher.CountParams(config with { DModel = config.DModel + step }, spec);
            // The chosen width is at least as close as its neighbours.
            Assert.True(Math.Abs(count - target) <= Math.Abs(below - target) && Math.Abs(count - target) <= Math.Abs(above - target), $"{kind}: {count} vs target {target}");
        }
    }

    [Fact]
    public void ChildProcessIsolationMeasuresInAFreshProcessAndEnforcesTheMemoryCap()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Nsm.Cli.dll");
        var worker = new WorkerCommand("dotnet", [cli, "scale"]);
        var cell = new CellSpec
        {
            Model = ConfigLoader.FromOverrides(["model.d_model=16", "model.num_layers=1"]).Model,
            Mode = ScaleModes.Train, SeqLen = 16, BatchSize = 2, VocabSize = 16, Repetitions = 2, BudgetSeconds = 30,
        };
        var record = new ChildProcessRunner(worker, maxResidentBytes: 4L << 30).Run(cell);
        Assert.Equal(MeasurementStatus.Ok, record.Status);
        Assert.Equal(ChildProcessRunner.Isolation, record.MemoryIsolation);
        Assert.True(record.TokensPerSec > 0);
        Assert.True(record.PeakBytes > record.PeakDeltaBytes);

        // A 16 MiB cap is below what the runtime alone needs: the child is stopped and the cell reported as oom.
        var capped = new ChildProcessRunner(worker, maxResidentBytes: 16L << 20).Run(cell);
        Assert.Equal(MeasurementStatus.OutOfMemory, capped.Status);
        Assert.Contains("cap", capped.Note);
    }
}
