using System.Globalization;
using System.Text.RegularExpressions;
using Nsm.Core;

namespace Nsm.Data.Babi;

/// <summary>
/// Reads the bAbI task format (Weston et al. 2015; files <c>qaN_name_train.txt</c> and
/// <c>qaN_name_test.txt</c>): every line is <c>ID text</c>; IDs count from 1 within a story and a
/// line with ID 1 starts a new story; a question line is <c>ID question\tanswer\tsupporting ids</c>.
/// Each question becomes one <see cref="BabiExample"/> whose story is the statements (not the
/// questions) before it. Errors are <see cref="InvalidDataException"/>s naming file and line.
/// </summary>
public static partial class BabiReader
{
    [GeneratedRegex(@"[a-z0-9]+|[^\sa-z0-9]")]
    private static partial Regex TokenPattern();

    /// <summary>Lower-case words and punctuation marks: "Where is Mary?" -> where, is, mary, ?.</summary>
    public static string[] Tokenize(string text) =>
        TokenPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value).ToArray();

    public static List<BabiExample> ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        return Parse(File.ReadLines(path), path);
    }

    /// <summary>Parses lines in bAbI format; <paramref name="source"/> names them in errors.</summary>
    public static List<BabiExample> Parse(IEnumerable<string> lines, string source)
    {
        var examples = new List<BabiExample>();
        var story = new List<(int Id, string[] Tokens)>();
        var previous = 0;
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            var space = line.IndexOf(' ');
            if (space <= 0 || !int.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                throw new InvalidDataException($"{source}:{number}: expected 'ID text', got \"{Shorten(line)}\"");
            if (id == 1) story.Clear();
            else if (id != previous + 1)
                throw new InvalidDataException($"{source}:{number}: line ID {id} does not follow {previous} (IDs count up from 1 within a story)");
            previous = id;
            var text = line[(space + 1)..];
            var fields = text.Split('\t');
            if (fields.Length == 1)
            {
                story.Add((id, Tokenize(text)));
                continue;
            }
            if (fields.Length < 2 || fields[1].Trim().Length == 0)
                throw new InvalidDataException($"{source}:{number}: question without an answer (expected 'ID question<TAB>answer<TAB>supporting ids')");
            var supporting = fields.Length > 2
                ? fields[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
                    : throw new InvalidDataException($"{source}:{number}: supporting fact id '{s}' is not a number")).ToArray()
                : [];
            examples.Add(new BabiExample(story.Select(s => s.Tokens).ToList(), Tokenize(fields[0]), fields[1].Trim().ToLowerInvariant(), supporting));
        }
        return examples;
    }

    /// <summary>The train and test files of task N in a folder (<c>qaN_*_train.txt</c>, <c>qaN_*_test.txt</c>).</summary>
    public static (string Train, string Test) FindTaskFiles(string folder, int task)
    {
        string Find(string split)
        {
            var matches = Directory.GetFiles(folder, $"qa{task}_*_{split}.txt");
            if (matches.Length == 0)
                throw new ConfigException($"'task.data_path': no qa{task}_*_{split}.txt in {folder} (expected the bAbI task files, e.g. tasks_1-20_v1-2/en)");
            if (matches.Length > 1) throw new ConfigException($"'task.data_path': several qa{task}_*_{split}.txt in {folder}: {string.Join(", ", matches.Select(Path.GetFileName))}");
            return matches[0];
        }
        return (Find("train"), Find("test"));
    }

    private static string Shorten(string line) => line.Length <= 60 ? line : line[..60] + "...";
}
