using System.Globalization;
using System.Text;

namespace Nsm.Data.Documents;

/// <summary>
/// (text, label) rows of a TSV or CSV file as byte-level sequences (LRA Text style): the text's
/// UTF-8 bytes b become tokens b + 1 (0 is padding; vocabulary 257), truncated to a maximum
/// length. A first row with cells named "text" and "label" is a header that says which columns
/// hold them; otherwise column 0 is the text and column 1 the label.
/// </summary>
public static class DocumentSet
{
    public const int VocabSize = 257;

    /// <summary>Reads rows as (line, text, label string).</summary>
    public static List<(int Line, string Text, string Label)> ReadRows(string path)
    {
        var separator = Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase) ? ',' : '\t';
        var rows = DelimitedReader.Read(path, separator);
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no rows");
        int textColumn = 0, labelColumn = 1;
        var header = rows[0].Cells.Select(c => c.Trim().ToLowerInvariant()).ToList();
        if (header.Contains("text") && header.Contains("label"))
        {
            textColumn = header.IndexOf("text");
            labelColumn = header.IndexOf("label");
            rows.RemoveAt(0);
        }
        var needed = Math.Max(textColumn, labelColumn) + 1;
        var result = new List<(int, string, string)>(rows.Count);
        foreach (var (line, cells) in rows)
        {
            if (cells.Length < needed)
                throw new InvalidDataException($"{path}:{line}: expected at least {needed} {(separator == ',' ? "comma" : "tab")}-separated columns (text, label), found {cells.Length}");
            result.Add((line, cells[textColumn], cells[labelColumn].Trim()));
        }
        if (result.Count == 0) throw new InvalidDataException($"{path}: no rows after the header");
        return result;
    }

    /// <summary>
    /// Class ids of the labels: with numClasses > 0, labels must be integers 0..numClasses-1;
    /// otherwise the distinct training labels in order (numeric order when all are integers).
    /// </summary>
    public static Dictionary<string, int> Classes(IEnumerable<string> trainingLabels, int numClasses, string path)
    {
        if (numClasses > 0)
            return Enumerable.Range(0, numClasses).ToDictionary(i => i.ToString(CultureInfo.InvariantCulture), i => i);
        var distinct = trainingLabels.Distinct(StringComparer.Ordinal).ToList();
        var numeric = distinct.All(l => long.TryParse(l, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _));
        var ordered = numeric
            ? distinct.OrderBy(l => long.Parse(l, CultureInfo.InvariantCulture)).ToList()
            : distinct.Order(StringComparer.Ordinal).ToList();
        if (ordered.Count < 2) throw new InvalidDataException($"{path}: only one label ({ordered[0]}); classification needs at least two");
        return ordered.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>Packs rows as byte tokens with class ids; a label outside the classes is an error naming file and line.</summary>
    public static PackedSequences Pack(IEnumerable<(int Line, string Text, string Label)> rows, IReadOnlyDictionary<string, int> classes, int maxLength, string path)
    {
        var packed = new PackedSequences();
        foreach (var (line, text, label) in rows)
        {
            if (!classes.TryGetValue(label, out var id))
                throw new InvalidDataException(classes.Count > 0 && classes.Keys.All(k => int.TryParse(k, CultureInfo.InvariantCulture, out _))
                    ? $"{path}:{line}: label '{label}' is out of range 0..{classes.Count - 1}"
                    : $"{path}:{line}: label '{label}' is not among the training labels ({string.Join(", ", classes.Keys.Take(10))})");
            var bytes = Encoding.UTF8.GetBytes(text);
            var length = Math.Max(1, Math.Min(bytes.Length, maxLength));
            var tokens = new int[length];
            // An empty text still gets one token so that the example has a position to pool.
            for (var i = 0; i < Math.Min(bytes.Length, length); i++) tokens[i] = bytes[i] + 1;
            packed.Add(tokens, id);
        }
        return packed;
    }
}
