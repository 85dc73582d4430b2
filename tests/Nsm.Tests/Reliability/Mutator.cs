using System.Text;

namespace Nsm.Tests.Reliability;

/// <summary>Seeded mutations of a file's bytes or text: flips, truncations, insertions, deletions, JSON-aware swaps and duplicated keys.</summary>
public sealed class Mutator(int seed)
{
    private readonly Random random = new(seed);

    static readonly string[] JsonValues = ["null", "true", "-1", "0", "1e309", "-1e309", "1.5", "9999999999999", "\"\"", "\"x\"", "[]", "{}", "\"\\u0000\"", "NaN", "\"token\"", "2147483648"];

    public int Next(int max) => random.Next(max);

    /// <summary>One to three random byte-level mutations.</summary>
    public byte[] Bytes(byte[] original)
    {
        var data = original.ToList();
        var count = 1 + random.Next(3);
        for (var i = 0; i < count && data.Count > 0; i++)
        {
            var at = random.Next(data.Count);
            switch (random.Next(5))
            {
                case 0: data[at] ^= (byte)(1 << random.Next(8)); break;                       // bit flip
                case 1: data[at] = (byte)random.Next(256); break;                             // byte change
                case 2: data.RemoveRange(at, data.Count - at); break;                         // truncation
                case 3: data.InsertRange(at, Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256))); break;
                default: data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(16))); break;
            }
        }
        return data.ToArray();
    }

    /// <summary>A JSON text with a value, key or bracket changed, a key given twice, or bytes mutated.</summary>
    public string Json(string text)
    {
        switch (random.Next(5))
        {
            case 0:
            {
                // Replace one scalar value.
                var values = System.Text.RegularExpressions.Regex.Matches(text, @":\s*(""[^""]*""|-?[0-9.eE+-]+|true|false|null)");
                if (values.Count == 0) break;
                var m = values[random.Next(values.Count)].Groups[1];
                return text[..m.Index] + JsonValues[random.Next(JsonValues.Length)] + text[(m.Index + m.Length)..];
            }
            case 1:
            {
                // Rename one key.
                var keys = System.Text.RegularExpressions.Regex.Matches(text, @"""([a-z_]+)""\s*:");
                if (keys.Count == 0) break;
                var m = keys[random.Next(keys.Count)].Groups[1];
                var name = m.Value.Length > 1 ? m.Value.Remove(random.Next(m.Value.Length), 1) : "x";
                return text[..m.Index] + name + text[(m.Index + m.Length)..];
            }
            case 3:
            {
                // Give one key twice, with the same or another value.
                var pairs = System.Text.RegularExpressions.Regex.Matches(text, @"""([a-z_.0-9]+)""\s*:\s*(""[^""]*""|-?[0-9.eE+-]+|true|false|null)");
                if (pairs.Count == 0) break;
                var m = pairs[random.Next(pairs.Count)];
                var value = random.Next(2) == 0 ? m.Groups[2].Value : JsonValues[random.Next(JsonValues.Length)];
                return text[..m.Index] + $"\"{m.Groups[1].Value}\": {value}, " + text[m.Index..];
            }
            case 2:
            {
                // Drop one structural character.
                var at = text.IndexOfAny(['{', '}', ',', ':', '"', '['], random.Next(Math.Max(1, text.Length)));
                if (at < 0) break;
                return text.Remove(at, 1);
            }
        }
        return Encoding.UTF8.GetString(Bytes(Encoding.UTF8.GetBytes(text)));
    }
}
