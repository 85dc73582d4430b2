using System.Text;
using Nsm.Core;

namespace Nsm.Data.Text;

/// <summary>Reads text files with one-line errors that name the file and the problem.</summary>
public static class TextFiles
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The whole file as UTF-8 text (a byte-order mark is skipped).</summary>
    public static string ReadAll(string path)
    {
        Require(path);
        var bytes = File.ReadAllBytes(path);
        var start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        try
        {
            return StrictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: not UTF-8 text (invalid bytes at offset {start + e.Index})");
        }
    }

    /// <summary>Lines of a UTF-8 text file, read as a stream.</summary>
    public static IEnumerable<string> ReadLines(string path)
    {
        Require(path);
        using var reader = new StreamReader(path, StrictUtf8, detectEncodingFromByteOrderMarks: true);
        var number = 0;
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException($"{path}: not UTF-8 text (invalid bytes after line {number})");
            }
            if (line is null) yield break;
            number++;
            yield return line;
        }
    }

    /// <summary>Throws a <see cref="ConfigException"/> about task.data_path when the file is missing.</summary>
    public static void Require(string path)
    {
        if (path.Length == 0) throw new ConfigException("'task.data_path' must name the data file");
        if (Directory.Exists(path)) throw new ConfigException($"'task.data_path' = \"{path}\" is a folder; this task reads a file");
        if (!File.Exists(path)) throw new ConfigException($"'task.data_path': {path} does not exist");
    }
}
