namespace Nsm.Data.Pathfinder;

/// <summary>
/// One dashed curve as the generator drew it: its dashes in drawing order, each the pixels of
/// one short straight stroke. The curve's two ends are the first pixel of the first dash and
/// the last pixel of the last dash.
/// </summary>
/// <param name="Dashes">The dashes, each a list of pixels in drawing order (a pixel may repeat where rounding lands twice on it).</param>
/// <param name="IsTarget">True for the two long curves that markers may sit on; false for distractors.</param>
internal sealed record PathfinderCurve(IReadOnlyList<IReadOnlyList<GridPoint>> Dashes, bool IsTarget)
{
    /// <summary>Where the curve begins.</summary>
    public GridPoint Start => Dashes[0][0];

    /// <summary>Where the curve ends.</summary>
    public GridPoint End => Dashes[^1][^1];

    /// <summary>Every pixel of every dash, distinct.</summary>
    public IEnumerable<GridPoint> Pixels => Dashes.SelectMany(dash => dash).Distinct();
}
