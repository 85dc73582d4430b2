using System.Text.Json;
using System.Text.Json.Nodes;
using Nsm.Core;

namespace Nsm.Checkpoints;

/// <summary>
/// Writes the files of one checkpoint so that a process killed at any moment leaves either the
/// whole previous checkpoint or the whole new one, never a mix (new weights with the old step
/// and optimizer state would resume to different weights than the uninterrupted run).
/// Renaming one file is atomic, renaming several is not, so the write is journaled:
/// <list type="number">
/// <item>every file is written beside its target under a temporary name (<c>.NAME.ID.tmp</c>);</item>
/// <item>the journal <c>.checkpoint.journal</c> (JSON: target name to temporary name) is written atomically: this is the commit;</item>
/// <item>the temporary files are renamed over their targets, and the journal is deleted.</item>
/// </list>
/// A kill before step 2 leaves the old checkpoint plus temporary files; after it, the journal
/// says how to finish. <see cref="Recover"/> (run by the trainer under the folder's lock) finishes
/// or discards an interrupted write; readers see the committed checkpoint through <see cref="Resolve"/>.
/// A failed write (a full disk) deletes its temporary files and leaves the old checkpoint as it was.
/// </summary>
public sealed class CheckpointWrite : IDisposable
{
    public const string JournalFile = ".checkpoint.journal";

    private readonly string dir;
    private readonly string id = Guid.NewGuid().ToString("N");
    private readonly Dictionary<string, string> staged = new(StringComparer.Ordinal);
    private bool committed;

    public CheckpointWrite(string dir)
    {
        this.dir = dir;
        Directory.CreateDirectory(dir);
    }

    /// <summary>Writes one file of the checkpoint (write gets the temporary path to create); nothing visible changes yet.</summary>
    public void Add(string name, Action<string> write)
    {
        var temporary = $".{name}.{id}.tmp";
        staged[name] = temporary;
        var path = Path.Combine(dir, temporary);
        write(path);
        CheckpointTestHooks.AfterFileWritten(path);
    }

    /// <summary>Commits the files written so far: afterwards the folder holds the new checkpoint, even if the process dies during the renames.</summary>
    public void Commit()
    {
        var journal = new JsonObject();
        foreach (var (name, temporary) in staged) journal[name] = temporary;
        AtomicFile.WriteAllText(Path.Combine(dir, JournalFile), journal.ToJsonString());
        committed = true;
        CheckpointTestHooks.Pause();
        Finish(dir, staged);
    }

    /// <summary>Deletes the temporary files of a write that was not committed (it failed).</summary>
    public void Dispose()
    {
        if (committed) return;
        foreach (var temporary in staged.Values)
        {
            try { File.Delete(Path.Combine(dir, temporary)); }
            catch (IOException) { }
        }
    }

    /// <summary>
    /// Finishes a committed write that a killed process left (its journal) and deletes the
    /// temporary files of one it had not committed; nothing when the folder is clean. Only the
    /// folder's writer may call it (the trainer, holding <c>.lock</c>).
    /// </summary>
    public static void Recover(string dir)
    {
        if (!Directory.Exists(dir)) return;
        if (ReadJournal(dir) is { } journal) Finish(dir, journal);
        foreach (var stray in Directory.GetFiles(dir, ".*.tmp")) File.Delete(stray);
    }

    /// <summary>
    /// The path to read a checkpoint file from: the target, or its committed temporary file
    /// while a killed write's journal is not finished yet (so a reader sees the new checkpoint whole).
    /// </summary>
    public static string Resolve(string dir, string name)
    {
        if (ReadJournal(dir) is { } journal && journal.TryGetValue(name, out var temporary) && File.Exists(Path.Combine(dir, temporary)))
            return Path.Combine(dir, temporary);
        return Path.Combine(dir, name);
    }

    private static void Finish(string dir, IReadOnlyDictionary<string, string> journal)
    {
        foreach (var (name, temporary) in journal)
        {
            var source = Path.Combine(dir, temporary);
            // Missing: renamed already by the run that was killed (or by an earlier recovery).
            if (File.Exists(source)) File.Move(source, Path.Combine(dir, name), overwrite: true);
            CheckpointTestHooks.Pause();
        }
        File.Delete(Path.Combine(dir, JournalFile));
    }

    /// <summary>The journal's entries, or null when there is none.</summary>
    private static Dictionary<string, string>? ReadJournal(string dir)
    {
        var path = Path.Combine(dir, JournalFile);
        if (!File.Exists(path)) return null;
        try
        {
            var entries = JsonNode.Parse(File.ReadAllText(path), documentOptions: StrictJson.Document)!.AsObject()
                .ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>(), StringComparer.Ordinal);
            // Names only: a journal never points outside its folder.
            if (entries.Any(kv => Path.GetFileName(kv.Key) != kv.Key || Path.GetFileName(kv.Value) != kv.Value || kv.Key.Length == 0 || kv.Value.Length == 0))
                throw new FormatException();
            return entries;
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path} (an interrupted checkpoint write's journal) is corrupt; delete it to keep the checkpoint that was there before");
        }
    }
}
