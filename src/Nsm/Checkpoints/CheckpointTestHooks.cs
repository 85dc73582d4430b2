using System.Globalization;

namespace Nsm.Checkpoints;

/// <summary>
/// Two environment variables for the reliability tests (docs/reliability.md), read once; unset,
/// they do nothing:
/// <list type="bullet">
/// <item><c>NSM_TEST_CHECKPOINT_DELAY_MS=N</c>: sleep N ms after each file of a checkpoint is written
/// and after each step of its commit, so that a kill at a random moment lands inside a checkpoint write;</item>
/// <item><c>NSM_TEST_DISK_FULL_AFTER_BYTES=N</c>: once the checkpoint files written by this process
/// exceed N bytes, cut the file being written to what fits and fail as a full disk does (an
/// IOException "No space left on device"), for machines where a small tmpfs cannot be mounted.</item>
/// </list>
/// </summary>
internal static class CheckpointTestHooks
{
    /// <summary>The errno of a full disk (ENOSPC on Linux), which .NET gives as the IOException's HResult.</summary>
    public const int NoSpaceLeft = 28;

    private static readonly int DelayMs = Read("NSM_TEST_CHECKPOINT_DELAY_MS");
    private static readonly long DiskBytes = Read("NSM_TEST_DISK_FULL_AFTER_BYTES");
    private static long written;

    /// <summary>Sleeps when the delay hook is set.</summary>
    public static void Pause()
    {
        if (DelayMs > 0) Thread.Sleep(DelayMs);
    }

    /// <summary>Called after each checkpoint file is written (at its temporary path).</summary>
    public static void AfterFileWritten(string path)
    {
        if (DiskBytes > 0)
        {
            var length = new FileInfo(path).Length;
            if (written + length > DiskBytes)
            {
                using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write)) stream.SetLength(Math.Max(0, DiskBytes - written));
                written = DiskBytes;
                throw new IOException($"No space left on device : '{path}'", NoSpaceLeft);
            }
            written += length;
        }
        Pause();
    }

    private static int Read(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
