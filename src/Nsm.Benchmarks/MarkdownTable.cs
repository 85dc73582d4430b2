using System.Globalization;
using System.Text;

namespace Nsm.Benchmarks;

/// <summary>A GitHub-flavoured Markdown table built row by row.</summary>
public sealed class MarkdownTable(params string[] headers)
{
    private readonly List<string[]> rows = [];

    public int RowCount => rows.Count;

    public MarkdownTable Add(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException($"row has {cells.Length} cells, table has {headers.Length} columns");
        rows.Add(cells);
        return this;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("| ").Append(string.Join(" | ", headers.Select(Escape))).AppendLine(" |");
        text.Append('|').Append(string.Join("|", headers.Select(_ => " --- "))).AppendLine("|");
        foreach (var row in rows) text.Append("| ").Append(string.Join(" | ", row.Select(Escape))).AppendLine(" |");
        return text.ToString();
    }

    private static string Escape(string cell) => cell.Replace("|", "\\|").Replace("\n", " ");

    /// <summary>Number with thousands separators and the given decimals, invariant culture.</summary>
    public static string Number(double? value, int decimals = 0) =>
        value is { } v && double.IsFinite(v) ? v.ToString("N" + decimals, CultureInfo.InvariantCulture) : "–";

    /// <summary>Bytes as MiB with one decimal.</summary>
    public static string MiB(long? bytes) => bytes is { } b ? (b / (double)(1 << 20)).ToString("N1", CultureInfo.InvariantCulture) : "–";

    /// <summary>Bytes in KiB below 1 MiB, else MiB, with the unit.</summary>
    public static string Bytes(long? bytes) => bytes is not { } b ? "–"
        : b < 1 << 20 ? (b / 1024.0).ToString("N1", CultureInfo.InvariantCulture) + " KiB"
        : (b / (double)(1 << 20)).ToString("N1", CultureInfo.InvariantCulture) + " MiB";

    public static string Percent(double? fraction, int decimals = 0) =>
        fraction is { } f && double.IsFinite(f) ? (100 * f).ToString("N" + decimals, CultureInfo.InvariantCulture) + "%" : "–";
}
