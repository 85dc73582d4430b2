using System.Diagnostics;
using Nsm.Checkpoints;
using Nsm.Tests.Support;

namespace Nsm.Tests.Reliability;

/// <summary>
/// <c>nsm train</c> as a separate process, killed with SIGKILL at a random moment after its
/// first checkpoint (a checkpoint every step, so many kills land inside a write; every other trial
/// also slows the writes with NSM_TEST_CHECKPOINT_DELAY_MS), then <c>nsm train --resume</c>: the
/// final model.safetensors is byte for byte the uninterrupted run's, and no journal or temporary
/// file is left. The default run tries two seeded trials; the slow one NSM_CRASH_TRIALS (12), and
/// with NSM_CRASH_REPORT=FILE writes one line per trial there (the run in docs/reliability.md).
/// </summary>
public sealed class CrashTrialTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    /// <summary>Appends a line to NSM_CRASH_REPORT's file, when set.</summary>
    private static void Report(string? report, string line)
    {
        if (report is { Length: > 0 }) File.AppendAllText(report, line + "\n");
    }

    private static string[] Train(string outDir, long steps) =>
    [
        "train", "--preset", "copy-long-nsm", "--out", outDir,
        "--set", "train.threads=1", "--set", $"train.steps={steps}", "--set", "train.checkpoint_every=1",
        "--set", "train.eval_every=0", "--set", "train.batch_size=4", "--set", "task.eval_examples=16",
        "--set", "model.d_model=16", "--set", "model.num_states=4",
    ];

    [Fact]
    public void TwoKilledRunsResumeToTheUninterruptedWeights() => Trials(2, seed: 19, steps: 12);

    [Fact]
    [Trait("Category", "Slow")]
    public void ManyKilledRunsResumeToTheUninterruptedWeights() =>
        Trials(int.TryParse(Environment.GetEnvironmentVariable("NSM_CRASH_TRIALS"), out var n) ? n : 12, seed: 20, steps: 40);

    private static void Trials(int trials, int seed, long steps)
    {
        using var dir = TestConfigs.TempDir();
        var reference = dir.Sub("reference");
        double window;
        using (var process = StartUntilFirstCheckpoint(Train(reference, steps), null))
        {
            // From the first checkpoint to the end: the window the kills fall in.
            var clock = Stopwatch.StartNew();
            Assert.True(process.WaitForExit(Limit));
            Assert.True(process.ExitCode == 0, $"the uninterrupted run ended with exit {process.ExitCode}");
            window = clock.Elapsed.TotalMilliseconds;
        }
        var expected = File.ReadAllBytes(Path.Combine(reference, Checkpoint.WeightsFile));
        var random = new Random(seed);
        var report = Environment.GetEnvironmentVariable("NSM_CRASH_REPORT");
        // A trial whose run ends before its kill (the machine was faster than for the reference) is tried again, twice at most.
        for (int trial = 0, killed = 0; killed < trials; trial++)
        {
            Assert.True(trial < 2 * trials + 2, $"only {killed} of {trials} runs were still running at their kill");
            var run = dir.Sub($"trial{trial}");
            var slow = trial % 2 == 1;
            var delay = (int)(random.NextDouble() * 0.8 * window);
            using (var process = StartUntilFirstCheckpoint(Train(run, steps), slow ? new Dictionary<string, string> { ["NSM_TEST_CHECKPOINT_DELAY_MS"] = "20" } : null))
            {
                Thread.Sleep(delay);
                if (process.HasExited)
                {
                    Report(report, $"trial {trial}: the run ended before its kill {delay} ms after the first checkpoint; tried again");
                    Directory.Delete(run, recursive: true);
                    continue;
                }
                process.Kill();
                process.WaitForExit();
            }
            killed++;
            var landed = Landed(run);
            var from = Checkpoint.LoadState(run).Step;
            var resumed = CliProcess.Run(["train", "--resume", run], Limit);
            Assert.True(resumed.Code == 0, $"trial {trial} (killed {landed}): resume failed: {resumed.Error}");
            var equal = expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(run, Checkpoint.WeightsFile)));
            Report(report, $"trial {trial}: {(slow ? "slowed writes, " : "")}killed {delay} ms after the first checkpoint, {landed}; resumed from step {from}; final weights {(equal ? "byte-equal" : "DIFFERENT")}");
            Assert.True(equal, $"trial {trial} (killed {landed}, resumed from step {from}): the final weights differ from the uninterrupted run's");
            Assert.Empty(Directory.GetFiles(run, ".*.tmp"));
            Assert.False(File.Exists(Path.Combine(run, CheckpointWrite.JournalFile)));
            Directory.Delete(run, recursive: true);
        }
    }

    /// <summary>Starts nsm train and returns once the run folder holds its first checkpoint (or a journal of it).</summary>
    private static Process StartUntilFirstCheckpoint(string[] args, IReadOnlyDictionary<string, string>? environment)
    {
        var run = args[Array.IndexOf(args, "--out") + 1];
        var process = CliProcess.Start(args, environment);
        var wait = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(run, Checkpoint.StateFile)) && !File.Exists(Path.Combine(run, CheckpointWrite.JournalFile)))
        {
            Assert.False(process.HasExited, $"nsm {string.Join(' ', args)} ended (exit {(process.HasExited ? process.ExitCode : 0)}) before its first checkpoint");
            Assert.True(wait.Elapsed < Limit, $"no checkpoint after {Limit}");
            Thread.Sleep(2);
        }
        return process;
    }

    /// <summary>Where a kill landed, as far as the folder tells.</summary>
    private static string Landed(string run)
    {
        if (File.Exists(Path.Combine(run, CheckpointWrite.JournalFile))) return "inside a checkpoint write, after its commit (journal left)";
        if (Directory.GetFiles(run, ".*.tmp").Length > 0) return "inside a checkpoint write, before its commit (temporary files left)";
        return "between checkpoint writes";
    }
}
