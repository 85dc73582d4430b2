namespace Nsm.Data;

/// <summary>
/// Variable-length token sequences with one label each, packed into one array (2 bytes per
/// token) so that large sets (LRA ListOps, byte-level documents) stay compact in memory.
/// Token ids must be below 65536.
/// </summary>
public sealed class PackedSequences
{
    private readonly List<ushort> tokens = [];
    private readonly List<long> offsets = [0];
    private readonly List<int> labels = [];

    public int Count => labels.Count;

    /// <summary>Length of the longest sequence (0 when empty).</summary>
    public int MaxLength { get; private set; }

    public void Add(ReadOnlySpan<int> sequence, int label)
    {
        foreach (var t in sequence)
        {
            if ((uint)t > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(sequence), $"token id {t} does not fit in 16 bits");
            tokens.Add((ushort)t);
        }
        offsets.Add(tokens.Count);
        labels.Add(label);
        MaxLength = Math.Max(MaxLength, sequence.Length);
    }

    public int Length(int index) => (int)(offsets[index + 1] - offsets[index]);

    public int Label(int index) => labels[index];

    /// <summary>The tokens of one sequence.</summary>
    public int[] Tokens(int index)
    {
        var start = (int)offsets[index];
        var result = new int[Length(index)];
        for (var i = 0; i < result.Length; i++) result[i] = tokens[start + i];
        return result;
    }

    /// <summary>Copies sequence <paramref name="index"/> into <paramref name="destination"/> (which must be long enough).</summary>
    public void CopyTo(int index, Span<long> destination)
    {
        var start = (int)offsets[index];
        var length = Length(index);
        for (var i = 0; i < length; i++) destination[i] = tokens[start + i];
    }
}
