using System.Globalization;
using System.Text;

namespace Nsm.Data.Documents;

/// <summary>
/// Document pairs of LRA Retrieval (the ACL Anthology Network citation task) in its file format:
/// one pair per line, tab-separated <c>label, id1, id2, text1, text2</c>, no header, no quoting;
/// label 1 when the two papers cite each other, 0 otherwise, written as an integer or a float
/// (LRA reads the column as float32, so files may say <c>1.0</c>). A pair becomes one byte
/// sequence for a single encoder: text1's UTF-8 bytes, <see cref="SeparatorToken"/>, text2's
/// bytes, each side cut to <see cref="SideLength"/> bytes so the whole fits max_length.
/// </summary>
public static class DocumentPairs
{
    /// <summary>Between the two texts; bytes are 1..256 and 0 is padding, as in <see cref="DocumentSet"/>.</summary>
    public const int SeparatorToken = DocumentSet.VocabSize;

    /// <summary>Padding, the 256 byte tokens and the separator.</summary>
    public const int VocabSize = DocumentSet.VocabSize + 1;

    /// <summary>label, id1, id2, text1, text2.</summary>
    public const int Columns = 5;

    /// <summary>Bytes kept of each text: (max_length - 1) / 2, so that both and the separator fit in max_length.</summary>
    public static int SideLength(int maxLength) => (maxLength - 1) / 2;

    /// <summary>
    /// Reads the pairs of one file as (line, label, text1, text2); the paper ids are not used. A line without exactly five
    /// tab-separated columns, or with a label other than 0 or 1, is an
    /// <see cref="InvalidDataException"/> whose one-line message starts with the file and line
    /// (as for every corrupt data file; the command line prints it as one error line); so is a
    /// file with no pairs.
    /// </summary>
    public static List<(int Line, int Label, string Text1, string Text2)> Read(string path)
    {
        var pairs = new List<(int, int, string, string)>();
        foreach (var (line, cells) in DelimitedReader.Read(path, '\t'))
        {
            if (cells.Length != Columns)
                throw new InvalidDataException($"{path}:{line}: expected {Columns} tab-separated columns (label, id1, id2, text1, text2), found {cells.Length}");
            pairs.Add((line, Label(cells[0], path, line), cells[3], cells[4]));
        }
        if (pairs.Count == 0) throw new InvalidDataException($"{path}: no pairs");
        return pairs;
    }

    /// <summary>Packs pairs as [text1 bytes, separator, text2 bytes] with their labels: each sequence has at most max_length tokens.</summary>
    public static PackedSequences Pack(IEnumerable<(int Line, int Label, string Text1, string Text2)> pairs, int maxLength)
    {
        var side = SideLength(maxLength);
        var packed = new PackedSequences();
        foreach (var (_, label, text1, text2) in pairs)
        {
            var first = Encoding.UTF8.GetBytes(text1);
            var second = Encoding.UTF8.GetBytes(text2);
            var n1 = Math.Min(first.Length, side);
            var n2 = Math.Min(second.Length, side);
            // (n1 + 1 + n2): bytes of text1, the separator, bytes of text2.
            var tokens = new int[n1 + 1 + n2];
            for (var i = 0; i < n1; i++) tokens[i] = first[i] + 1;
            tokens[n1] = SeparatorToken;
            for (var i = 0; i < n2; i++) tokens[n1 + 1 + i] = second[i] + 1;
            packed.Add(tokens, label);
        }
        return packed;
    }

    private static int Label(string cell, string path, int line)
    {
        var text = cell.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && (value == 0 || value == 1))
            return (int)value;
        throw new InvalidDataException($"{path}:{line}: label '{text}' is not 0 or 1");
    }
}
