using System.Text.Json.Nodes;
using Nsm.Checkpoints;
using Nsm.Tests.Support;

namespace Nsm.Tests.Training;

/// <summary>
/// A checkpoint write is all or nothing: the folders a kill can leave behind (temporary files
/// before the commit, a journal with some renames done after it) recover to one whole checkpoint.
/// The kills themselves, in a separate process, are in Reliability/CrashTrialTests.
/// </summary>
public sealed class CheckpointWriteTests
{
    private static readonly string[] Names = ["a.bin", "b.bin", Checkpoint.StateFile];

    /// <summary>A folder holding the old checkpoint ("old a.bin", ...).</summary>
    private static void WriteOld(string dir)
    {
        foreach (var name in Names) File.WriteAllText(Path.Combine(dir, name), $"old {name}");
    }

    private static void AssertHolds(string dir, string version)
    {
        foreach (var name in Names) Assert.Equal($"{version} {name}", File.ReadAllText(Path.Combine(dir, name)));
        Assert.Empty(Directory.GetFiles(dir, ".*"));
    }

    [Fact]
    public void AWriteCommitsEveryFileAndLeavesNothingElse()
    {
        using var dir = TestConfigs.TempDir();
        WriteOld(dir.Path);
        using (var write = new CheckpointWrite(dir.Path))
        {
            foreach (var name in Names) write.Add(name, tmp => File.WriteAllText(tmp, $"new {name}"));
            // Nothing visible changes before the commit.
            foreach (var name in Names) Assert.Equal($"old {name}", File.ReadAllText(CheckpointWrite.Resolve(dir.Path, name)));
            write.Commit();
        }
        AssertHolds(dir.Path, "new");
    }

    [Fact]
    public void AKillBeforeTheCommitRecoversToTheOldCheckpoint()
    {
        using var dir = TestConfigs.TempDir();
        WriteOld(dir.Path);
        // What a killed write leaves: some temporary files, no journal (Dispose never ran).
        var write = new CheckpointWrite(dir.Path);
        write.Add("a.bin", tmp => File.WriteAllText(tmp, "new a.bin"));
        write.Add("b.bin", tmp => File.WriteAllText(tmp, "half of b"));
        Assert.Equal("old a.bin", File.ReadAllText(CheckpointWrite.Resolve(dir.Path, "a.bin")));
        CheckpointWrite.Recover(dir.Path);
        AssertHolds(dir.Path, "old");
    }

    [Fact]
    public void AKillDuringTheRenamesRecoversToTheNewCheckpoint()
    {
        using var dir = TestConfigs.TempDir();
        WriteOld(dir.Path);
        // The journal was written (the commit) and a.bin renamed already; b.bin and the state were not.
        var journal = new JsonObject();
        foreach (var name in Names)
        {
            journal[name] = $".{name}.1.tmp";
            File.WriteAllText(Path.Combine(dir.Path, $".{name}.1.tmp"), $"new {name}");
        }
        File.Move(Path.Combine(dir.Path, ".a.bin.1.tmp"), Path.Combine(dir.Path, "a.bin"), overwrite: true);
        File.WriteAllText(Path.Combine(dir.Path, CheckpointWrite.JournalFile), journal.ToJsonString());
        // A reader sees the new checkpoint whole before anyone recovers the folder.
        foreach (var name in Names) Assert.Equal($"new {name}", File.ReadAllText(CheckpointWrite.Resolve(dir.Path, name)));
        CheckpointWrite.Recover(dir.Path);
        AssertHolds(dir.Path, "new");
        // Recovering a clean folder changes nothing.
        CheckpointWrite.Recover(dir.Path);
        AssertHolds(dir.Path, "new");
    }

    [Fact]
    public void AFailedWriteDeletesItsTemporaryFiles()
    {
        using var dir = TestConfigs.TempDir();
        WriteOld(dir.Path);
        Assert.Throws<IOException>(() =>
        {
            using var write = new CheckpointWrite(dir.Path);
            write.Add("a.bin", tmp => File.WriteAllText(tmp, "new a.bin"));
            write.Add("b.bin", tmp =>
            {
                File.WriteAllText(tmp, "part");
                throw new IOException("No space left on device");
            });
            write.Commit();
        });
        AssertHolds(dir.Path, "old");
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"a.bin\": \"../elsewhere\"}")]
    [InlineData("{\"a.bin\": 3}")]
    public void ACorruptJournalIsRefusedWithOneLine(string text)
    {
        using var dir = TestConfigs.TempDir();
        WriteOld(dir.Path);
        File.WriteAllText(Path.Combine(dir.Path, CheckpointWrite.JournalFile), text);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointWrite.Recover(dir.Path));
        Assert.Contains("journal", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>A kill during the renames of a run's first checkpoint: the folder has no model.safetensors yet, but a committed one.</summary>
    [Fact]
    public void AFirstCheckpointKilledDuringItsRenamesStillResumes()
    {
        using var dir = TestConfigs.TempDir();
        var config = TestConfigs.TinyCopy("train.steps=2", "train.checkpoint_every=1");
        using var cancel = new CancellationTokenSource();
        var first = new Nsm.Training.Trainer(config, dir.Path);
        first.StepCompleted += step => cancel.Cancel();
        Assert.Null(first.Run(cancel: cancel.Token));
        // Undo the renames as if the process had died right after writing the journal.
        var journal = new JsonObject();
        foreach (var name in new[] { Checkpoint.WeightsFile, Checkpoint.StateFile, Checkpoint.OptimizerFile, Checkpoint.RngFile })
        {
            File.Move(Path.Combine(dir.Path, name), Path.Combine(dir.Path, $".{name}.1.tmp"));
            journal[name] = $".{name}.1.tmp";
        }
        File.WriteAllText(Path.Combine(dir.Path, CheckpointWrite.JournalFile), journal.ToJsonString());
        var result = Nsm.Tests.Cli.CliHarness.Run("train", "--resume", dir.Path);
        Assert.True(result.Code == 0, result.Error);
        Assert.Equal(2, Checkpoint.LoadState(dir.Path).Step);
        Assert.Empty(Directory.GetFiles(dir.Path, ".*.tmp"));
    }

    [Fact]
    public void AFreshRunRefusesAFolderWhoseOnlyCheckpointIsInAJournal()
    {
        using var dir = TestConfigs.TempDir();
        File.WriteAllText(Path.Combine(dir.Path, $".{Checkpoint.StateFile}.1.tmp"), """{"step": 1, "tokens_seen": 8, "train_seconds": 0.1}""");
        File.WriteAllText(Path.Combine(dir.Path, CheckpointWrite.JournalFile), $$"""{"{{Checkpoint.StateFile}}": ".{{Checkpoint.StateFile}}.1.tmp"}""");
        var result = Nsm.Tests.Cli.CliHarness.Run("train", "--preset", "copy-transformer", "--set", "train.steps=1", "--out", dir.Path);
        Assert.Equal(2, result.Code);
        Assert.Contains("already holds a checkpoint", Assert.Single(result.ErrorLines));
    }
}
