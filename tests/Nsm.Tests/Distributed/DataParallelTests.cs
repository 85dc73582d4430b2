using System.Diagnostics;
using System.Text.Json.Nodes;
using Nsm.Core;
using Nsm.Tests.Cli;

namespace Nsm.Tests.Distributed;

/// <summary>
/// Two MPI ranks on loopback, each with batch b, train exactly as one process with batch 2b:
/// the same loss curve and the same final weights. The ranks run the built tool (Nsm.Cli.dll
/// beside the tests), one libtorch thread each. Needs Open MPI's mpirun (.ci/run installs it).
/// </summary>
public sealed class DataParallelTests
{
    private const string Tiny = "model.d_model=16 model.num_heads=2 task.eval_examples=16 train.steps=20 train.log_every=1 train.eval_every=0 train.threads=1 train.warmup_steps=2 train.grad_clip=1";

    [Theory]
    [InlineData("associative-recall-nsm", "model.num_states=4")]
    [InlineData("associative-recall-transformer", "")]
    public void TwoRanksEqualOneProcessWithTheDoubledBatch(string preset, string extra)
    {
        var root = Path.Combine(Path.GetTempPath(), $"nsm-mpi-{Guid.NewGuid():N}");
        try
        {
            var single = Path.Combine(root, "single");
            var ranks = Path.Combine(root, "ranks");
            Run(1, preset, $"{Tiny} {extra} train.batch_size=4", single);
            Run(2, preset, $"{Tiny} {extra} train.batch_size=2", ranks);

            var expected = TrainLosses(single);
            var actual = TrainLosses(ranks);
            Assert.Equal(20, expected.Count);
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * Math.Abs(expected[i]), $"step {i + 1}: loss {actual[i]} with 2 ranks, {expected[i]} in one process");

            var (a, _) = SafeTensors.Load(Path.Combine(single, "model.safetensors"));
            var (b, _) = SafeTensors.Load(Path.Combine(ranks, "model.safetensors"));
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            foreach (var (name, weight) in a)
            {
                var difference = (weight.to(TorchSharp.torch.float64) - b[name].to(TorchSharp.torch.float64)).abs().max().item<double>();
                Assert.True(difference <= 1e-6, $"{name}: weights differ by {difference}");
            }

            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(ranks, "summary.json")))!;
            Assert.Equal(2, summary["world_size"]!.GetValue<int>());
            Assert.Equal(4, summary["global_batch"]!.GetValue<long>());
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void WithoutAnMpiEnvironmentNoMpiLibraryIsLoaded()
    {
        Assert.Null(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"));
        var run = Path.Combine(Path.GetTempPath(), $"nsm-nompi-{Guid.NewGuid():N}");
        try
        {
            var args = new List<string> { "train", "--preset", "associative-recall-nsm", "--out", run };
            foreach (var pair in $"{Tiny} model.num_states=4 train.steps=2".Split(' ', StringSplitOptions.RemoveEmptyEntries)) args.AddRange(["--set", pair]);
            var result = CliHarness.Run([.. args]);
            Assert.True(result.Code == 0, result.Error);
            Assert.DoesNotContain("libmpi", File.ReadAllText("/proc/self/maps"));
            Assert.Equal(1, JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!["world_size"]!.GetValue<int>());
        }
        finally
        {
            if (Directory.Exists(run)) Directory.Delete(run, recursive: true);
        }
    }

    /// <summary>Runs the built tool as one process or under mpirun with <paramref name="ranks"/> ranks.</summary>
    private static void Run(int ranks, string preset, string overrides, string outDir)
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "Nsm.Cli.dll");
        var start = new ProcessStartInfo(ranks == 1 ? "dotnet" : "mpirun") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (ranks > 1)
        {
            foreach (var arg in new[] { "-np", $"{ranks}", "--oversubscribe", "--allow-run-as-root", "dotnet" }) start.ArgumentList.Add(arg);
            // Containers without CMA (Open MPI issue 4948).
            start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        }
        start.Environment["OMP_NUM_THREADS"] = "1";
        foreach (var arg in new[] { tool, "train", "--preset", preset, "--out", outDir }) start.ArgumentList.Add(arg);
        foreach (var pair in overrides.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            start.ArgumentList.Add("--set");
            start.ArgumentList.Add(pair);
        }
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException($"cannot start {start.FileName} (Open MPI: apt-get install openmpi-bin): {e.Message}"); }
        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(120_000), $"{start.FileName} did not finish in 120 s");
            Assert.True(process.ExitCode == 0, $"{start.FileName} exited with {process.ExitCode}: {error.Result}\n{output}");
        }
    }

    private static List<double> TrainLosses(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(n => n["split"]!.GetValue<string>() == "train").Select(n => n["loss"]!.GetValue<double>()).ToList();
}
