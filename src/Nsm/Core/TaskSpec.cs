
namespace Nsm.Core;

/// <summary>What a model's head must produce.</summary>
public enum TaskOutput
{
    /// <summary>Logits for every position: (B, N, NumClasses); language modelling and copy tasks.</summary>
    PerToken,

    /// <summary>One prediction per sequence: (B, NumClasses).</summary>
    Classification,
}

/// <summary>
/// The shape of a task as a model sees it, so a model can be built for any task.
/// </summary>
/// <param name="VocabSize">Token vocabulary of the input; 0 when inputs are continuous features.</param>
/// <param name="InputFeatures">Features per position for continuous inputs (B, N, F); 0 for token ids.</param>
/// <param name="Output">Per-token logits or one classification per sequence.</param>
/// <param name="NumClasses">Output classes (for per-token language models usually VocabSize).</param>
/// <param name="Causal">Whether position t may only see positions up to t.</param>
/// <param name="MaxLength">Longest sequence the task produces (for models with fixed-size parts).</param>
public sealed record TaskSpec(int VocabSize, int InputFeatures, TaskOutput Output, int NumClasses, bool Causal, int MaxLength)
{
    public bool TokenInputs => InputFeatures == 0;

    /// <summary>
    /// Where the inputs are image patches: how they tile the image, so an input stem can put the
    /// image back together (see <c>Nsm.Modules.InputEmbedding</c>); null for other inputs.
    /// </summary>
    public PatchGrid? Patches { get; init; }
}

/// <summary>
/// Non-overlapping Size x Size patches of a Channels-channel image, Rows x Columns of them in
/// row-major order; each step's features are one patch flattened (dy, dx, c).
/// </summary>
public sealed record PatchGrid(int Channels, int Rows, int Columns, int Size)
{
    /// <summary>Features of one patch.</summary>
    public int Features => Size * Size * Channels;
}
