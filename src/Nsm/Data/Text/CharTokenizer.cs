using Nsm.Core;

namespace Nsm.Data.Text;

/// <summary>One token per character from a fixed alphabet (token id = index in the alphabet).</summary>
public sealed class CharTokenizer : ITokenizer
{
    private readonly string alphabet;
    private readonly Dictionary<char, long> ids;

    public CharTokenizer(string alphabet)
    {
        if (alphabet.Distinct().Count() != alphabet.Length) throw new ArgumentException("alphabet has repeated characters");
        this.alphabet = alphabet;
        ids = alphabet.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i);
    }

    public int VocabSize => alphabet.Length;

    public string Alphabet => alphabet;

    public long[] Encode(string text)
    {
        var result = new long[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            if (!ids.TryGetValue(text[i], out result[i]))
                throw new ArgumentException($"character '{Printable(text[i])}' at position {i} is not in the vocabulary ({Preview()})");
        }
        return result;
    }

    public string Decode(IEnumerable<long> tokens) =>
        new(tokens.Select(t => t >= 0 && t < alphabet.Length ? alphabet[(int)t] : '\uFFFD').ToArray());

    private string Preview() => alphabet.Length <= 80 ? $"allowed: \"{Escape(alphabet)}\"" : $"{alphabet.Length} characters";

    private static string Escape(string s) => string.Concat(s.Select(Printable));

    private static string Printable(char c) => c switch
    {
        '\n' => "\\n",
        '\t' => "\\t",
        '\r' => "\\r",
        _ when char.IsControl(c) => $"\\u{(int)c:x4}",
        _ => c.ToString(),
    };
}
