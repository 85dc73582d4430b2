using System.Text;
using Nsm.Core;

namespace Nsm.Data.Documents;

/// <summary>
/// The folder layout of the IMDB review data that LRA Text uses (aclImdb):
/// <c>train/&lt;label&gt;/*.txt</c> and <c>test/&lt;label&gt;/*.txt</c>, one review per file, the
/// label being the folder name (<c>neg</c>, <c>pos</c>). A split's <c>unsup</c> folder holds
/// IMDB's unlabelled reviews and is skipped; loose files beside the class folders (aclImdb's
/// <c>*.feat</c> and <c>urls_*.txt</c>) are ignored. Folders and files are read in ordinal name
/// order, so the rows (and everything seeded from their order) are the same on every machine.
/// </summary>
public static class AclImdbLayout
{
    /// <summary>IMDB's folder of unlabelled reviews, which has no class.</summary>
    public const string UnlabelledFolder = "unsup";

    /// <summary>True when <paramref name="folder"/> has the train/ and test/ subfolders of the layout.</summary>
    public static bool Matches(string folder) =>
        Directory.Exists(Path.Combine(folder, "train")) && Directory.Exists(Path.Combine(folder, "test"));

    /// <summary>
    /// The rows of split <paramref name="split"/> ("train" or "test") as (position, text, label),
    /// class folders in ordinal order and their files in ordinal order; position counts from 1
    /// over the whole split. A split without class folders, or a class folder without .txt files,
    /// is a one-line <see cref="ConfigException"/> naming task.data_path and the folder; a review
    /// that is not UTF-8 is an <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public static List<(int Line, string Text, string Label)> ReadSplit(string folder, string split)
    {
        var splitFolder = Path.Combine(folder, split);
        if (!Directory.Exists(splitFolder))
            throw new ConfigException($"'task.data_path': {splitFolder} is missing (the aclImdb layout needs train/<label>/*.txt and test/<label>/*.txt)");
        var classFolders = Directory.GetDirectories(splitFolder)
            .Where(d => Path.GetFileName(d) != UnlabelledFolder)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (classFolders.Count == 0)
            throw new ConfigException($"'task.data_path': {splitFolder} has no class folders (expected one folder per label, such as neg/ and pos/, of .txt files)");
        var rows = new List<(int, string, string)>();
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        foreach (var classFolder in classFolders)
        {
            var files = Directory.GetFiles(classFolder, "*.txt").Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
                throw new ConfigException($"'task.data_path': class folder {classFolder} has no .txt files");
            var label = Path.GetFileName(classFolder);
            foreach (var file in files)
            {
                string text;
                try
                {
                    text = File.ReadAllText(file, strict);
                }
                catch (DecoderFallbackException)
                {
                    throw new InvalidDataException($"{file}: not UTF-8 text");
                }
                rows.Add((rows.Count + 1, text, label));
            }
        }
        return rows;
    }
}
