namespace Nsm.Core;

/// <summary>Converts between text and token ids.</summary>
public interface ITokenizer
{
    int VocabSize { get; }

    /// <summary>Token ids of a text; throws <see cref="ArgumentException"/> naming the first character outside the vocabulary.</summary>
    long[] Encode(string text);

    string Decode(IEnumerable<long> tokens);
}
