namespace Nsm.Data.Pathfinder;

/// <summary>
/// One Pathfinder example: the rendered grey image and, for tests and inspection, what the
/// generator drew into it.
/// </summary>
/// <param name="Size">Side of the square image in pixels.</param>
/// <param name="Pixels">Size·Size intensities 0-255 in row-major order (row 0 first): the model's token sequence.</param>
/// <param name="Label">1 when both markers sit on the two ends of one curve ("connected"), 0 when they sit on two different curves.</param>
/// <param name="Curves">The curves: the two targets first (indices 0 and 1), then the distractors.</param>
/// <param name="Markers">The two markers.</param>
internal sealed record PathfinderImage(int Size, byte[] Pixels, int Label, IReadOnlyList<PathfinderCurve> Curves, IReadOnlyList<PathfinderMarker> Markers)
{
    /// <summary>The intensity at (row, column).</summary>
    public byte this[int row, int column] => Pixels[row * Size + column];

    /// <summary>The pixels as token ids (one per pixel, row-major), the sequence a model reads.</summary>
    public int[] Tokens() => Array.ConvertAll(Pixels, p => (int)p);
}
