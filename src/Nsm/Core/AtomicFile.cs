namespace Nsm.Core;

/// <summary>Writes files so that readers see either the old or the new content, never a half-written file.</summary>
public static class AtomicFile
{
    /// <summary>Calls write with a temporary path beside the target, then renames it over the target.</summary>
    public static void Write(string path, Action<string> write)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            write(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    public static void WriteAllText(string path, string text) => Write(path, tmp => File.WriteAllText(tmp, text));
}
