using System.Text;

namespace Nsm.Data.Documents;

/// <summary>
/// Streams rows of a TSV file (tab-separated, one row per line, no quoting) or a CSV file
/// (RFC 4180: comma-separated, fields optionally in double quotes, "" for a quote, quoted fields
/// may span lines). Yields each row with the line number it starts on.
/// </summary>
public static class DelimitedReader
{
    public static List<(int Line, string[] Cells)> Read(string path, char separator)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);
        return separator == '\t' ? ReadTsv(reader, path).ToList() : ReadCsv(reader, path).ToList();
    }

    private static IEnumerable<(int, string[])> ReadTsv(StreamReader reader, string path)
    {
        var number = 0;
        while (ReadLine(reader, path, number) is { } line)
        {
            number++;
            if (line.Length == 0) continue;
            yield return (number, line.Split('\t'));
        }
    }

    private static IEnumerable<(int, string[])> ReadCsv(StreamReader reader, string path)
    {
        var number = 0;
        while (ReadLine(reader, path, number) is { } line)
        {
            number++;
            if (line.Length == 0) continue;
            var start = number;
            var cells = new List<string>();
            var cell = new StringBuilder();
            var quoted = false;
            var i = 0;
            while (true)
            {
                if (i == line.Length)
                {
                    if (!quoted) { cells.Add(cell.ToString()); break; }
                    // A quoted field continues on the next line.
                    line = ReadLine(reader, path, number) ?? throw new InvalidDataException($"{path}:{start}: unterminated quoted field");
                    number++;
                    cell.Append('\n');
                    i = 0;
                    continue;
                }
                var c = line[i++];
                if (quoted)
                {
                    if (c != '"') cell.Append(c);
                    else if (i < line.Length && line[i] == '"') { cell.Append('"'); i++; }
                    else quoted = false;
                }
                else if (c == '"' && cell.Length == 0) quoted = true;
                else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
                else cell.Append(c);
            }
            yield return (start, cells.ToArray());
        }
    }

    private static string? ReadLine(StreamReader reader, string path, int after)
    {
        try
        {
            return reader.ReadLine();
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"{path}: not UTF-8 text (invalid bytes after line {after})");
        }
    }
}
