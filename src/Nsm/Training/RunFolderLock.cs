namespace Nsm.Training;

/// <summary>
/// An exclusive lock on a run folder (the file <c>.lock</c> in it), held while a trainer writes
/// there, so a second run given the same folder is refused instead of interleaving checkpoints
/// and logs. It is an OS lock on an open file (flock on Linux), so a killed process never leaves
/// the folder locked; the file itself stays and is harmless.
/// </summary>
internal sealed class RunFolderLock : IDisposable
{
    public const string FileName = ".lock";
    private readonly FileStream stream;

    private RunFolderLock(FileStream stream) => this.stream = stream;

    /// <summary>
    /// Takes the folder's lock, creating the folder first when <paramref name="create"/>;
    /// <see cref="RunFolderInUseException"/> when another run holds it.
    /// </summary>
    public static RunFolderLock Acquire(string runDir, bool create = true)
    {
        if (create) Directory.CreateDirectory(runDir);
        var path = Path.Combine(runDir, FileName);
        try
        {
            return new RunFolderLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new RunFolderInUseException($"run folder {runDir} is in use by another run (its {FileName} is locked); wait for it or choose another --out");
        }
    }

    public void Dispose() => stream.Dispose();
}

/// <summary>Another process (or trainer) holds the run folder's lock.</summary>
public sealed class RunFolderInUseException(string message) : IOException(message);
