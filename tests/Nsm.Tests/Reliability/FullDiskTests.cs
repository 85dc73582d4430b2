using System.Diagnostics;
using Nsm.Checkpoints;
using Nsm.Tests.Support;
using Xunit.Abstractions;

namespace Nsm.Tests.Reliability;

/// <summary>
/// The disk fills during a checkpoint write (the second of a run that checkpoints every step):
/// <c>nsm train</c> ends with one <c>error:</c> line naming the full disk and the path, exit code 2;
/// the first checkpoint is intact (<c>nsm eval</c> loads it), no journal or temporary file is left,
/// and once there is room <c>--resume</c> ends with the uninterrupted run's weights. The disk is a
/// 300 KiB tmpfs where this process may mount one (root, as on the project's machine); elsewhere,
/// and always in the second test, NSM_TEST_DISK_FULL_AFTER_BYTES fails the write as a full disk does.
/// </summary>
public sealed class FullDiskTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private static string[] Train(string outDir) =>
    [
        "train", "--preset", "copy-long-nsm", "--out", outDir,
        "--set", "train.threads=1", "--set", "train.steps=4", "--set", "train.checkpoint_every=1",
        "--set", "train.eval_every=0", "--set", "train.batch_size=4", "--set", "task.eval_examples=16",
        "--set", "model.d_model=16", "--set", "model.num_states=4",
    ];

    [Fact]
    public void AFullTmpfsDuringACheckpointIsOneLineAndKeepsThePreviousCheckpoint()
    {
        using var dir = TestConfigs.TempDir();
        var disk = dir.Sub("disk");
        Directory.CreateDirectory(disk);
        var mounted = Mount(disk, "size=300k");
        try
        {
            var run = Path.Combine(disk, "run");
            FillTheDisk(run, mounted ? null : Injected);
            // Room again: the run resumes from its first checkpoint to the uninterrupted run's weights.
            if (mounted) Assert.Equal(0, Run("mount", "-o", "remount,size=64m", disk));
            var resumed = CliProcess.Run(["train", "--resume", run], Limit);
            Assert.True(resumed.Code == 0, resumed.Error);
            var reference = dir.Sub("reference");
            Assert.Equal(0, CliProcess.Run(Train(reference), Limit).Code);
            Assert.Equal(File.ReadAllBytes(Path.Combine(reference, Checkpoint.WeightsFile)), File.ReadAllBytes(Path.Combine(run, Checkpoint.WeightsFile)));
        }
        finally
        {
            if (mounted) Run("umount", disk);
        }
    }

    /// <summary>The fallback of machines that may not mount a tmpfs, tried everywhere so that it stays right.</summary>
    [Fact]
    public void AnInjectedWriteFaultIsOneLineAndKeepsThePreviousCheckpoint()
    {
        using var dir = TestConfigs.TempDir();
        FillTheDisk(dir.Sub("run"), Injected);
    }

    /// <summary>Fails the second checkpoint as a full disk does (about 190 KB each; the first fits, the second, written beside it, does not).</summary>
    private static readonly Dictionary<string, string> Injected = new() { ["NSM_TEST_DISK_FULL_AFTER_BYTES"] = "250000" };

    /// <summary>Trains in run until the disk is full; checks the error and the checkpoint left.</summary>
    private void FillTheDisk(string run, IReadOnlyDictionary<string, string>? fault)
    {
        log.WriteLine(fault is null ? "a 300 KiB tmpfs" : "an injected write fault (NSM_TEST_DISK_FULL_AFTER_BYTES=250000)");
        var (code, _, error) = CliProcess.Run(Train(run), Limit, fault);
        log.WriteLine(error);
        Assert.True(code == 2, $"exit {code}: {error}");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains("No space left on device", line);
        Assert.Contains(run, line);
        Assert.Equal(1, Checkpoint.LoadState(run).Step);
        Assert.Empty(Directory.GetFiles(run, ".*.tmp"));
        Assert.False(File.Exists(Path.Combine(run, CheckpointWrite.JournalFile)));
        var eval = Cli.CliHarness.Run("eval", "--checkpoint", run);
        Assert.True(eval.Code == 0, eval.Error);
    }

    /// <summary>Mounts a tmpfs on dir; false where this process may not (not root, no mount, a container without the right).</summary>
    private static bool Mount(string dir, string options) =>
        OperatingSystem.IsLinux() && Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir) == 0;

    private static int Run(string program, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in args) start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
