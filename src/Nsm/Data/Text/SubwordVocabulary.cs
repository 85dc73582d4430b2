using Microsoft.ML.Tokenizers;
using Nsm.Core;

namespace Nsm.Data.Text;

/// <summary>
/// Subword tokens from tiktoken's cl100k_base BPE (Microsoft.ML.Tokenizers; the vocabulary
/// ships in the Microsoft.ML.Tokenizers.Data.Cl100kBase package, so nothing is downloaded).
/// With <c>compact</c>, the ~100k ids are renumbered to the ids that occur in the training text
/// (ascending original id) plus one unknown id for everything else, so a small model does not
/// carry a 100k-row embedding; ids 0..V-2 are training tokens, V-1 is unknown.
/// Text is encoded line by line (each line with its newline), which keeps memory bounded on
/// large corpora and differs from whole-text encoding only where a merge would cross a line end.
/// </summary>
public sealed class SubwordVocabulary : ITokenizer
{
    public const string Encoding = "cl100k_base";

    private static readonly Lazy<TiktokenTokenizer> Shared = new(() => TiktokenTokenizer.CreateForEncoding(Encoding));

    private readonly int[]? toOriginal;
    private readonly Dictionary<int, int>? toCompact;
    private readonly int fullSize;

    private SubwordVocabulary(int[]? compactIds)
    {
        // Special tokens (<|endoftext|> = 100257, ...) sit above the 100,256 merged tokens.
        fullSize = Shared.Value.SpecialTokens!.Values.Max() + 1;
        if (compactIds is null) return;
        toOriginal = compactIds;
        toCompact = new Dictionary<int, int>(compactIds.Length);
        for (var i = 0; i < compactIds.Length; i++) toCompact[compactIds[i]] = i;
    }

    /// <summary>The full cl100k_base vocabulary.</summary>
    public static SubwordVocabulary Full() => new(null);

    /// <summary>A compact vocabulary of the ids in <paramref name="trainingIds"/> (original cl100k ids).</summary>
    public static SubwordVocabulary Compact(IEnumerable<int> trainingIds) =>
        new(trainingIds.Distinct().Order().ToArray());

    public int VocabSize => toOriginal is null ? fullSize : toOriginal.Length + 1;

    /// <summary>The unknown id of a compact vocabulary (-1 for the full one).</summary>
    public int Unknown => toOriginal is null ? -1 : toOriginal.Length;

    /// <summary>Original cl100k ids of a text, line by line.</summary>
    public static IEnumerable<int> EncodeOriginal(IEnumerable<string> lines)
    {
        foreach (var line in lines)
            foreach (var id in Shared.Value.EncodeToIds(line + "\n")) yield return id;
    }

    /// <summary>Maps an original cl100k id to this vocabulary.</summary>
    public int Map(int original) =>
        toCompact is null ? original : toCompact.TryGetValue(original, out var id) ? id : Unknown;

    public long[] Encode(string text) => Shared.Value.EncodeToIds(text).Select(id => (long)Map(id)).ToArray();

    public string Decode(IEnumerable<long> tokens)
    {
        var ids = tokens.Where(t => toOriginal is null || (t >= 0 && t < toOriginal.Length))
            .Select(t => toOriginal is null ? (int)t : toOriginal[t]);
        return Shared.Value.Decode(ids) ?? "";
    }
}
