using System.Diagnostics;
using System.Text.Json.Nodes;
using Nsm.Core;

namespace Nsm.Tests.Distributed;

/// <summary>
/// Runs the built tool (Nsm.Cli.dll beside the tests) as one process or under
/// <c>mpirun -np K --oversubscribe</c>, one libtorch thread per rank, and reads its run folder.
/// </summary>
public static class MpiRun
{
    /// <summary>The xUnit collection of the tests that start jobs: one job at a time, since each already takes both cores.</summary>
    public const string Collection = "mpirun jobs";

    /// <summary>A finished job: exit code, stdout, stderr and wall time.</summary>
    public sealed record Result(int Code, string Output, string Error, TimeSpan Elapsed);

    /// <summary>Tiny training (20 steps, one thread, a loss line every step) for the presets the tests use.</summary>
    public const string Tiny = "model.d_model=16 model.num_heads=2 task.eval_examples=16 train.steps=20 train.log_every=1 train.eval_every=0 train.threads=1 train.warmup_steps=2 train.grad_clip=1";

    /// <summary>
    /// Runs <c>nsm ARGS --set K=V ...</c> with <paramref name="ranks"/> ranks (1 = no mpirun);
    /// <paramref name="environment"/> is passed to every rank. Fails the test after 120 s.
    /// </summary>
    public static Result Train(int ranks, string args, string overrides, IReadOnlyDictionary<string, string>? environment = null)
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "Nsm.Cli.dll");
        var start = new ProcessStartInfo(ranks == 1 ? "dotnet" : "mpirun") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (ranks > 1)
        {
            foreach (var arg in new[] { "-np", $"{ranks}", "--oversubscribe", "--allow-run-as-root" }) start.ArgumentList.Add(arg);
            // mpirun passes its own environment to local ranks; -x names the variables for remote ones too.
            foreach (var name in (environment?.Keys ?? []).Append("OMP_NUM_THREADS")) { start.ArgumentList.Add("-x"); start.ArgumentList.Add(name); }
            start.ArgumentList.Add("dotnet");
            // Containers without CMA (Open MPI issue 4948).
            start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        }
        start.Environment["OMP_NUM_THREADS"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        start.ArgumentList.Add(tool);
        foreach (var arg in args.Split(' ', StringSplitOptions.RemoveEmptyEntries)) start.ArgumentList.Add(arg);
        foreach (var pair in overrides.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            start.ArgumentList.Add("--set");
            start.ArgumentList.Add(pair);
        }
        var clock = Stopwatch.StartNew();
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException($"cannot start {start.FileName} (Open MPI: apt-get install openmpi-bin): {e.Message}"); }
        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(120_000))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{start.FileName} did not finish in 120 s");
            }
            return new Result(process.ExitCode, output.Result, error.Result, clock.Elapsed);
        }
    }

    /// <summary><see cref="Train(int, string, string, IReadOnlyDictionary{string, string}?)"/> that must succeed.</summary>
    public static Result TrainOk(int ranks, string args, string overrides, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = Train(ranks, args, overrides, environment);
        Assert.True(result.Code == 0, $"exit code {result.Code}: {result.Error}\n{result.Output}");
        return result;
    }

    /// <summary>The train records of metrics.jsonl, in order.</summary>
    public static List<JsonNode> TrainRecords(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(n => n["split"]!.GetValue<string>() == "train").ToList();

    /// <summary>The loss of every train record.</summary>
    public static List<double> TrainLosses(string runDir) => TrainRecords(runDir).Select(n => n["loss"]!.GetValue<double>()).ToList();

    /// <summary>The largest absolute difference of any weight between two run folders' model.safetensors.</summary>
    public static double MaxWeightDifference(string a, string b)
    {
        var (x, _) = SafeTensors.Load(Path.Combine(a, "model.safetensors"));
        var (y, _) = SafeTensors.Load(Path.Combine(b, "model.safetensors"));
        Assert.Equal(x.Keys.Order(), y.Keys.Order());
        return x.Max(kv => (kv.Value.to(TorchSharp.torch.float64) - y[kv.Key].to(TorchSharp.torch.float64)).abs().max().item<double>());
    }

    /// <summary>A fresh folder under the temp directory, deleted by the returned handle.</summary>
    public static TempFolder Folder() => new(Path.Combine(Path.GetTempPath(), $"nsm-mpi-{Guid.NewGuid():N}"));

    public sealed record TempFolder(string Path) : IDisposable
    {
        public string this[string name] => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
    }
}
