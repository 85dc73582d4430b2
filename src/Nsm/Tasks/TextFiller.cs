using Nsm.Core;
using Nsm.Data;

namespace Nsm.Tasks;

/// <summary>
/// The text haystack of the retrieval tasks (passkey, bAbI in a haystack): the bytes of
/// <c>task.filler_path</c>, from which each example copies one contiguous stretch, wrapping at
/// the end of the file.
/// </summary>
internal static class TextFiller
{
    /// <summary>The filler file's bytes (read when the task is built, as datasets are); one-line ConfigException when it is missing or empty.</summary>
    public static byte[] Read(string path)
    {
        if (!File.Exists(path))
            throw new ConfigException($"'task.filler_path' = \"{path}\": no such file");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0)
            throw new ConfigException($"'task.filler_path' = \"{path}\" is empty");
        return bytes;
    }

    /// <summary>Fills tokens with the file's bytes from a random offset on (one draw from random).</summary>
    public static void Fill(long[] tokens, byte[] filler, SeededRandom random)
    {
        var offset = random.Next(filler.Length);
        for (var i = 0; i < tokens.Length; i++) tokens[i] = filler[(offset + i) % filler.Length];
    }
}
